/**
 * How model files reach onnxruntime-node: a local folder, or a download in the disk cache, is
 * handed over as a path (no copy of the ONNX file in JavaScript memory); files in memory as bytes.
 * The backend is the real onnxruntime-node backend, wrapped only to record what it is given.
 */
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Descry, diskDownloadCache, urlSource } from 'descry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observedNodeBackend } from '../support/observed-backend.js';

const root = new URL('../..', import.meta.url).pathname;
const modelDir = join(root, 'models', 'emoji-clip');
const pixels = { width: 4, height: 4, data: new Uint8Array(64).fill(128) };

/** The native backend, recording each model it is given as 'path:<file>' or 'bytes'. */
function recordingBackend(given: string[]) {
  return observedNodeBackend({
    onModel: (model) => given.push(model instanceof Uint8Array ? 'bytes' : `path:${model.path}`),
  });
}

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer(async (req, res) => {
    try {
      const body = await readFile(join(modelDir, (req.url ?? '').replace(/^\/+/, '').replace(/\.\./g, '')));
      res.writeHead(200, { 'content-length': body.byteLength }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('model files for onnxruntime-node', () => {
  it('opens a folder model by path', async () => {
    const given: string[] = [];
    const descry = await Descry.load(modelDir, { backend: await recordingBackend(given) });
    await descry.classify(pixels, ['a', 'b']);
    expect(given).toEqual([
      `path:${join(modelDir, 'onnx', 'text_model.onnx')}`,
      `path:${join(modelDir, 'onnx', 'vision_model.onnx')}`,
    ]);
  });

  it('opens a downloaded model from the disk cache by path', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'descry-cache-'));
    const given: string[] = [];
    const files = urlSource(base, { cache: diskDownloadCache(cacheDir) });
    const descry = await Descry.load(files, { backend: await recordingBackend(given) });
    const [result] = await descry.classify(pixels, ['a', 'b']);
    expect(result!.predictions).toHaveLength(2);
    expect(given).toHaveLength(2);
    for (const entry of given) expect(entry.startsWith(`path:${cacheDir}`)).toBe(true);
  });

  it('gives files held in memory as bytes', async () => {
    const given: string[] = [];
    const files = Object.fromEntries(
      ['config.json', 'preprocessor_config.json', 'onnx/vision_model.onnx'].map((file) => [
        file,
        new Uint8Array(readFileSync(join(modelDir, file))),
      ]),
    );
    const descry = await Descry.load({ files }, { backend: await recordingBackend(given) });
    await descry.embedImages([pixels]);
    expect(given).toEqual(['bytes']);
  });

  it('reports an ONNX file missing from a folder as model_load_failed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'descry-partial-'));
    await mkdir(join(dir, 'onnx'));
    for (const file of ['config.json', 'preprocessor_config.json']) {
      await copyFile(join(modelDir, file), join(dir, file));
    }
    const descry = await Descry.load(dir);
    await expect(descry.embedImages([pixels])).rejects.toMatchObject({ code: 'model_load_failed' });
  });
});
