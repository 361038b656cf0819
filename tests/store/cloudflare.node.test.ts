/**
 * The KV and R2 stores against real Workers bindings: wrangler's platform proxy runs workerd
 * locally with an in-memory KV namespace and R2 bucket, and the store contract runs on both.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvStore, R2Store } from 'descry/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPlatformProxy } from 'wrangler';
import { describeStoreContract } from './store-contract.js';

interface Env {
  KV: KVNamespace;
  BUCKET: R2Bucket;
}

let proxy: Awaited<ReturnType<typeof getPlatformProxy<Env>>> | undefined;
let folder: string | undefined;
let stores = 0;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'descry-cloudflare-'));
  const config = join(folder, 'wrangler.json');
  await writeFile(
    config,
    JSON.stringify({
      name: 'descry-store-test',
      compatibility_date: '2025-09-01',
      kv_namespaces: [{ binding: 'KV', id: 'test-kv' }],
      r2_buckets: [{ binding: 'BUCKET', bucket_name: 'test-bucket' }],
    }),
  );
  proxy = await getPlatformProxy<Env>({
    configPath: config,
    persist: false,
    remoteBindings: false,
    envFiles: [],
  });
});

afterAll(async () => {
  await proxy?.dispose();
  if (folder) await rm(folder, { recursive: true, force: true });
});

/** A store over a fresh key prefix of the shared binding, so tests do not see each other's keys. */
function prefixed<S extends KvStore | R2Store>(store: S): S {
  const prefix = `t${++stores}/`;
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return async (key: string, ...rest: unknown[]) => {
        const result = await value.call(target, prefix + key, ...rest);
        return property === 'list' ? (result as string[]).map((k) => k.slice(prefix.length)) : result;
      };
    },
  });
}

describeStoreContract('kv', () => prefixed(new KvStore(proxy!.env.KV)), 'best-effort');
describeStoreContract('r2', () => prefixed(new R2Store(proxy!.env.BUCKET)));

describe('R2Store', () => {
  it('uses the object etag as the version', async () => {
    const store = new R2Store(proxy!.env.BUCKET);
    const { version } = await store.put('etag-check', 'x');
    expect((await proxy!.env.BUCKET.head('etag-check'))?.etag).toBe(version);
  });
});
