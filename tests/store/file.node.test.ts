import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore, getJson, updateJsonWithRetry } from 'descry/store';
import { afterAll, describe, expect, it } from 'vitest';
import { describeStoreContract } from './store-contract.js';

const root = await mkdtemp(join(tmpdir(), 'descry-file-store-'));
let folders = 0;
const freshFolder = () => join(root, `store-${++folders}`);

afterAll(() => rm(root, { recursive: true, force: true }));

describeStoreContract('file', () => new FileStore(freshFolder()));

describe('FileStore', () => {
  it('keeps entries across instances on the same folder, with the same versions', async () => {
    const folder = freshFolder();
    const { version } = await new FileStore(folder).put('shared', 'value');
    expect((await new FileStore(folder).get('shared'))?.version).toBe(version);
  });

  it('loses no update when two instances (as two processes would) increment concurrently', async () => {
    const folder = freshFolder();
    const a = new FileStore(folder);
    const b = new FileStore(folder);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        updateJsonWithRetry<number>(i % 2 ? a : b, 'counter', (n) => (n ?? 0) + 1, { attempts: 100 }),
      ),
    );
    expect((await getJson<number>(a, 'counter'))?.value).toBe(20);
  });

  it('leaves no temporary or lock files behind', async () => {
    const folder = freshFolder();
    const store = new FileStore(folder);
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.put(`k${i % 3}`, String(i))));
    const files = await readdir(folder);
    expect(files.filter((f) => f.endsWith('.tmp') || f.endsWith('.lock'))).toEqual([]);
  });

  it('takes over a stale lock left by a crashed writer', async () => {
    const folder = freshFolder();
    const store = new FileStore(folder, { staleLockMs: 0 });
    await store.put('k', 'before');
    await writeFile(join(folder, 'k.lock'), '');
    await store.put('k', 'after');
    expect(new TextDecoder().decode((await store.get('k'))?.value)).toBe('after');
  });

  it('rejects a key that is not well-formed Unicode with invalid_input', async () => {
    const store = new FileStore(freshFolder());
    await expect(store.put('bad\uD800key', 'x')).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(store.get('bad\uD800key')).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('lists nothing for a folder that does not exist yet', async () => {
    expect(await new FileStore(freshFolder()).list('')).toEqual([]);
  });
});
