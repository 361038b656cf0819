/**
 * Model sources over real HTTP: a server on 127.0.0.1 serves the embedded model in the Hugging
 * Face hub layout (`/{owner}/{name}/resolve/{revision}/{file}`) under the file names of a Xenova
 * CLIP export (onnx/text_model.onnx, text_model_quantized.onnx, text_model_fp16.onnx, the same for
 * vision, model.onnx, and the JSON files), as a plain folder URL, and the hub API's file list
 * (`/api/models/{id}/tree/{revision}/{folder}`). Like the hub it sends ETag and X-Repo-Commit,
 * answers If-None-Match with 304, and `main` moves when the model is re-exported while a commit
 * revision keeps its files.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Descry, diskDownloadCache, hubSource, ortWebBackend, urlSource } from 'descry';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixtureChoice } from '../support/fixture-choice.js';
import { solidPng } from '../worker/support/synthetic-images.js';

const root = new URL('../..', import.meta.url).pathname;
const modelDir = join(root, 'models', 'emoji-clip');
const REPO = 'Xenova/emoji-clip';
const FIRST_COMMIT = 'a'.repeat(40);
const SECOND_COMMIT = 'b'.repeat(40);

/** A Xenova CLIP export's file names, with the embedded model's files behind them. */
const XENOVA_LAYOUT: Record<string, string> = {
  'config.json': 'config.json',
  'preprocessor_config.json': 'preprocessor_config.json',
  'tokenizer.json': 'tokenizer.json',
  'tokenizer_config.json': 'tokenizer_config.json',
  'special_tokens_map.json': 'special_tokens_map.json',
  'onnx/model.onnx': 'onnx/model.onnx',
  'onnx/text_model.onnx': 'onnx/text_model.onnx',
  'onnx/text_model_quantized.onnx': 'onnx/text_model.onnx',
  'onnx/text_model_fp16.onnx': 'onnx/text_model.onnx',
  'onnx/vision_model.onnx': 'onnx/vision_model.onnx',
  'onnx/vision_model_quantized.onnx': 'onnx/vision_model.onnx',
  'onnx/vision_model_fp16.onnx': 'onnx/vision_model.onnx',
};

type Snapshot = Map<string, Uint8Array>;

/** The hub the tests talk to: commits of one repository, `main` pointing at one of them. */
const hub = {
  commits: new Map<string, Snapshot>(),
  main: FIRST_COMMIT,
  treeApi: true,
  /** A model whose vision graph keeps its weights in vision_model.onnx_data (tests/fixtures/external-data). */
  externalData: new Map<string, Uint8Array>(),
  requests: [] as Array<{ method: string; path: string; status: number }>,
};

const etagOf = (bytes: Uint8Array) => `"${createHash('sha256').update(bytes).digest('hex')}"`;

async function firstSnapshot(): Promise<Snapshot> {
  const snapshot: Snapshot = new Map();
  for (const [name, file] of Object.entries(XENOVA_LAYOUT)) {
    snapshot.set(name, new Uint8Array(await readFile(join(modelDir, file))));
  }
  return snapshot;
}

/** A re-export: the same files but config.json with another trained logit scale, as a new commit on main. */
function reExport(logitScale: number): void {
  const snapshot = new Map(hub.commits.get(FIRST_COMMIT)!);
  const config = JSON.parse(new TextDecoder().decode(snapshot.get('config.json'))) as {
    descry: { logit_scale: number };
  };
  config.descry.logit_scale = logitScale;
  snapshot.set('config.json', new TextEncoder().encode(JSON.stringify(config)));
  hub.commits.set(SECOND_COMMIT, snapshot);
  hub.main = SECOND_COMMIT;
}

let server: Server;
let base: string;

beforeAll(async () => {
  const first = await firstSnapshot();
  hub.commits.set(FIRST_COMMIT, first);
  const config = JSON.parse(new TextDecoder().decode(first.get('config.json'))) as Record<string, unknown>;
  config['transformers.js_config'] = { use_external_data_format: { 'vision_model.onnx': 1 } };
  hub.externalData.set('config.json', new TextEncoder().encode(JSON.stringify(config)));
  hub.externalData.set('preprocessor_config.json', first.get('preprocessor_config.json')!);
  for (const name of ['vision_model.onnx', 'vision_model.onnx_data']) {
    const file = join(root, 'tests', 'fixtures', 'external-data', 'external', name);
    hub.externalData.set(`onnx/${name}`, new Uint8Array(await readFile(file)));
  }
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const answer = (status: number, headers: Record<string, string | number> = {}, body?: Uint8Array) => {
      hub.requests.push({ method: req.method ?? 'GET', path, status });
      res.writeHead(status, headers).end(req.method === 'HEAD' ? undefined : body);
    };
    const tree = new RegExp(`^/api/models/${REPO}/tree/([^/]+)/(.+)$`).exec(path);
    if (tree) {
      const snapshot = hub.commits.get(tree[1] === 'main' ? hub.main : tree[1]!);
      if (!hub.treeApi || !snapshot) return answer(404);
      const entries = [...snapshot.keys()]
        .filter((name) => name.startsWith(`${tree[2]}/`))
        .map((name) => ({ type: 'file', path: name, size: snapshot.get(name)!.byteLength }));
      return answer(
        200,
        { 'content-type': 'application/json' },
        new TextEncoder().encode(JSON.stringify(entries)),
      );
    }
    const resolve = new RegExp(`^/${REPO}/resolve/([^/]+)/(.+)$`).exec(path);
    const plain = /^\/plain\/(.+)$/.exec(path);
    const externalData = new RegExp(`^/descry/external-data/resolve/${FIRST_COMMIT}/(.+)$`).exec(path);
    const commit = resolve ? (resolve[1] === 'main' ? hub.main : resolve[1]!) : FIRST_COMMIT;
    const name = resolve?.[2] ?? plain?.[1];
    const bytes = externalData
      ? hub.externalData.get(externalData[1]!)
      : name
        ? hub.commits.get(commit)?.get(name)
        : undefined;
    if (!bytes) return answer(404);
    const etag = etagOf(bytes);
    const headers = { etag, 'x-repo-commit': commit };
    if (req.headers['if-none-match'] === etag) return answer(304, headers);
    answer(200, { ...headers, 'content-length': bytes.byteLength }, bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  hub.main = FIRST_COMMIT;
  hub.commits.delete(SECOND_COMMIT);
  hub.treeApi = true;
  hub.requests.length = 0;
});

const fileRequests = (method = 'GET') =>
  hub.requests.filter((r) => r.method === method && r.path.includes('/resolve/'));
const newCache = async () => diskDownloadCache(await mkdtemp(join(tmpdir(), 'descry-cache-')));
const image = solidPng(48, 48, [30, 160, 60, 255]);

describe('model sources', () => {
  it('loads a hub id from a mirror, reporting progress, and a pinned commit never asks again', async () => {
    const { file, entry, candidates } = await fixtureChoice();
    const cache = await newCache();
    const progress: string[] = [];
    const files = hubSource(REPO, {
      endpoint: base,
      revision: FIRST_COMMIT,
      cache,
      onProgress: (p) => progress.push(`${p.file}:${p.loaded}/${p.total}`),
    });
    const descry = await Descry.load(files);
    const bytes = new Uint8Array(await readFile(join(root, 'tests', 'fixtures', 'openmoji-eval', file)));
    const [result] = await descry.classify(bytes, candidates, { templates: ['an emoji of {}'] });
    expect(result!.predictions[0]!.label).toBe(entry.name);
    expect(progress.some((p) => p.startsWith('onnx/vision_model.onnx:'))).toBe(true);
    expect(fileRequests().length).toBeGreaterThanOrEqual(5);

    reExport(99); // main moves; the commit's files cannot change, so they are not asked about
    const before = hub.requests.length;
    const again = await Descry.load(files);
    await again.classify(bytes, candidates);
    expect(hub.requests.length).toBe(before); // every file came from the disk cache
    expect(again.info.logitScale).toBe(descry.info.logitScale);
  });

  it('revalidates main: unchanged files cost a 304, a re-exported one is downloaded again', async () => {
    const cache = await newCache();
    const files = hubSource(REPO, { endpoint: base, cache });
    const first = await Descry.load(files);
    await first.embedTexts(['a cat']);
    await first.embedImages([image]);
    expect(fileRequests().every((r) => r.status === 200)).toBe(true);
    const downloaded = fileRequests().length;

    hub.requests.length = 0;
    const same = await Descry.load(files);
    await same.embedTexts(['a cat']);
    await same.embedImages([image]);
    expect(fileRequests().map((r) => r.status)).toEqual(Array(downloaded).fill(304));
    expect(same.info.logitScale).toBe(first.info.logitScale);

    reExport(42.5);
    hub.requests.length = 0;
    const reExported = await Descry.load(files);
    expect(reExported.info.logitScale).toBe(42.5);
    expect(reExported.info.fingerprint).not.toBe(first.info.fingerprint);
    const configRequests = fileRequests().filter((r) => r.path.endsWith('/config.json'));
    expect(configRequests.map((r) => r.status)).toEqual([200]);
    expect(fileRequests().filter((r) => r.status === 200)).toHaveLength(1);
  });

  it('uses the cached copy when the server cannot be reached', async () => {
    const cache = await newCache();
    const files = hubSource(REPO, { endpoint: base, cache });
    const online = await Descry.load(files);
    const expected = await online.embedTexts(['a cat']);
    const offline = hubSource(REPO, {
      endpoint: base,
      cache,
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
    });
    const descry = await Descry.load(offline);
    expect((await descry.embedTexts(['a cat'])).data).toEqual(expected.data);
  });

  it("loads q8 as *_quantized.onnx, transformers.js's name", async () => {
    const descry = await Descry.load(hubSource(REPO, { endpoint: base, revision: FIRST_COMMIT }), {
      dtype: 'q8',
    });
    await descry.embedTexts(['a cat']);
    await descry.embedImages([image]);
    const onnx = fileRequests().filter((r) => r.path.includes('/onnx/'));
    expect(onnx.map((r) => r.path.slice(r.path.lastIndexOf('/') + 1)).sort()).toEqual([
      'text_model_quantized.onnx',
      'vision_model_quantized.onnx',
    ]);
  });

  it('lists the variants the repository has for an unknown one, from the tree API or by asking for each', async () => {
    for (const treeApi of [true, false]) {
      hub.treeApi = treeApi;
      hub.requests.length = 0;
      const descry = await Descry.load(hubSource(REPO, { endpoint: base, revision: FIRST_COMMIT }), {
        dtype: 'q4f16',
      });
      const error = await descry.embedImages([image]).catch((e: unknown) => e);
      expect(error, `tree API: ${treeApi}`).toMatchObject({
        code: 'model_load_failed',
        details: { path: 'onnx/vision_model_q4f16.onnx', dtype: 'q4f16', available: ['fp32', 'fp16', 'q8'] },
      });
      expect((error as Error).message).toContain('q8 (onnx/vision_model_quantized.onnx)');
      expect(hub.requests.some((r) => r.method === 'HEAD')).toBe(!treeApi);
    }
  });

  it('loads external data from the hub, beside the graph in the disk cache and from bytes', async () => {
    const inline = await Descry.load(
      {
        files: {
          'config.json': hub.commits.get(FIRST_COMMIT)!.get('config.json')!,
          'preprocessor_config.json': hub.commits.get(FIRST_COMMIT)!.get('preprocessor_config.json')!,
          'onnx/vision_model.onnx': await readFile(
            join(root, 'tests/fixtures/external-data/inline/vision_model.onnx'),
          ),
        },
      },
      { backend: ortWebBackend() },
    );
    const expected = await inline.embedImages([image]);
    const cache = await newCache();
    const url = `${base}/descry/external-data/resolve/${FIRST_COMMIT}/`;
    // Default backend in Node: onnxruntime-node opens the cached graph by path and finds its data.
    const native = await Descry.load(urlSource(url, { cache }));
    const vectors = await native.embedImages([image]);
    for (const [i, value] of vectors.data.entries()) expect(value).toBeCloseTo(expected.data[i]!, 5);
    const graph = await cache.localPath!(`${url}onnx/vision_model.onnx`);
    expect(await cache.localPath!(`${url}onnx/vision_model.onnx_data`)).toBe(`${graph}_data`);
    // onnxruntime-web takes the graph and its data as bytes, from the same cache.
    const before = hub.requests.length;
    const web = await Descry.load(urlSource(url, { cache }), { backend: ortWebBackend() });
    expect((await web.embedImages([image])).data).toEqual(expected.data);
    expect(hub.requests.length).toBe(before); // a commit URL: nothing asked again
  });

  it('loads a plain base URL', async () => {
    const descry = await Descry.load(`${base}/plain/`, { backend: ortWebBackend() });
    expect(descry.info.id).toBe(`${base}/plain/`);
    expect(descry.info.family).toBe('clip');
    expect((await descry.embedTexts(['a cat'])).cols).toBe(256);
  });

  it('reports a missing file as model_load_failed', async () => {
    const files = urlSource(`${base}/nowhere/`);
    await expect(Descry.load(files)).rejects.toMatchObject({ code: 'model_load_failed' });
    await expect(Descry.load('/definitely/not/a/model/folder')).rejects.toMatchObject({
      code: 'model_load_failed',
    });
  });
});
