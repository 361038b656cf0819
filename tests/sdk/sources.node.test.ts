/**
 * Model sources over real HTTP: a server on 127.0.0.1 serves the embedded model in the Hugging
 * Face hub layout (`/{owner}/{name}/resolve/{revision}/{file}`) and as a plain folder URL.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Descry, diskDownloadCache, hubSource, urlSource } from 'descry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureChoice } from '../support/fixture-choice.js';

const root = new URL('../..', import.meta.url).pathname;
const modelDir = join(root, 'models', 'emoji-clip');
const requests: string[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer(async (req, res) => {
    requests.push(req.url ?? '');
    const match = /^\/(?:descry\/emoji-clip\/resolve\/v1|plain)\/(.+)$/.exec(req.url ?? '');
    if (!match || match[1]!.includes('..')) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(join(modelDir, match[1]!));
      res.writeHead(200, { 'content-length': body.byteLength }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('model sources', () => {
  it('loads a hub id from a mirror, reporting progress and caching on disk', async () => {
    const { file, entry, candidates } = await fixtureChoice();
    const cache = diskDownloadCache(await mkdtemp(join(tmpdir(), 'descry-cache-')));
    const progress: string[] = [];
    const files = hubSource('descry/emoji-clip', {
      endpoint: base,
      revision: 'v1',
      cache,
      onProgress: (p) => progress.push(`${p.file}:${p.loaded}/${p.total}`),
    });
    const descry = await Descry.load(files);
    const bytes = new Uint8Array(await readFile(join(root, 'tests', 'fixtures', 'openmoji-eval', file)));
    const [result] = await descry.classify(bytes, candidates, {
      templates: ['an emoji of {}'],
    });
    expect(result!.predictions[0]!.label).toBe(entry.name);
    expect(progress.some((p) => p.startsWith('onnx/vision_model.onnx:'))).toBe(true);
    expect(requests.filter((r) => r.includes('/resolve/v1/')).length).toBeGreaterThanOrEqual(5);

    const before = requests.length;
    const again = await Descry.load(files);
    await again.classify(bytes, candidates);
    expect(requests.length).toBe(before); // every file came from the disk cache
  });

  it('loads a plain base URL', async () => {
    const descry = await Descry.load(`${base}/plain/`);
    expect(descry.info.id).toBe(`${base}/plain/`);
    expect(descry.info.family).toBe('clip');
  });

  it('reports a missing file as model_load_failed', async () => {
    const files = urlSource(`${base}/nowhere/`);
    await expect(Descry.load(files)).rejects.toMatchObject({ code: 'model_load_failed' });
    await expect(Descry.load('/definitely/not/a/model/folder')).rejects.toMatchObject({
      code: 'model_load_failed',
    });
  });
});
