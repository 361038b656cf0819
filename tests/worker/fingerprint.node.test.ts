/**
 * One model, one fingerprint: the embedded model loaded every way Node can load it (a folder, a
 * folder reader, a URL and a hub mirror over real HTTP on 127.0.0.1, and in memory as parsed
 * objects as the Worker bundles them, as bytes, and as re-formatted text) reports the same
 * fingerprint, and a classifier compiled from one loads and scores the same in the others.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Descry, folderSource, hubSource, ModelMismatchError, type ModelSource } from 'descry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The bundle form (the Worker's: parsed JSON and .onnx bytes), whatever this runtime's own entry is.
import { emojiClip as embeddedModel } from '../../sdk/embedded/emoji-clip/workerd.js';
import { DEFAULT_MODEL_DIR } from '../../worker/hosts/node-server.node.js';
import { emojiFixtures } from './support/fixture-images.js';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer(async (request, response) => {
    const match = /^\/(?:descry\/emoji-clip\/resolve\/main|plain)\/([\w./-]+)$/.exec(request.url ?? '');
    if (!match || match[1]!.includes('..')) return void response.writeHead(404).end();
    try {
      response.writeHead(200).end(await readFile(join(DEFAULT_MODEL_DIR, match[1]!)));
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Every JSON file of the model as text with another layout: indented, keys in reverse order. */
function reformatted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reformatted);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, item]) => [key, reformatted(item)]),
  );
}

async function inMemory(form: 'bytes' | 'reformatted text'): Promise<ModelSource> {
  const files: Record<string, Uint8Array | string> = {};
  for (const path of Object.keys(embeddedModel.files)) {
    const bytes = new Uint8Array(await readFile(join(DEFAULT_MODEL_DIR, path)));
    files[path] =
      form === 'bytes' || !path.endsWith('.json')
        ? bytes
        : JSON.stringify(reformatted(JSON.parse(new TextDecoder().decode(bytes))), null, 3);
  }
  return { id: `emoji-clip (${form})`, files };
}

describe('the model fingerprint', () => {
  it('is the same for every way of loading the same model', async () => {
    const sources: Array<[string, ModelSource]> = [
      ['folder path', DEFAULT_MODEL_DIR],
      ['folder reader', folderSource(DEFAULT_MODEL_DIR)],
      ['URL', `${base}/plain/`],
      ['hub mirror', hubSource('descry/emoji-clip', { endpoint: base })],
      ['files, parsed JSON (the Worker bundle)', embeddedModel],
      ['files, bytes', await inMemory('bytes')],
      ['files, re-formatted JSON text', await inMemory('reformatted text')],
    ];
    const fingerprints: Record<string, string> = {};
    for (const [name, source] of sources) fingerprints[name] = (await Descry.load(source)).info.fingerprint;
    const expected = fingerprints['folder path'];
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
    for (const [name, fingerprint] of Object.entries(fingerprints)) expect(fingerprint, name).toBe(expected);
  });

  it('changes when the configuration changes', async () => {
    const changed = {
      id: 'changed',
      files: {
        ...embeddedModel.files,
        'config.json': { ...(embeddedModel.files['config.json'] as object), extra: 1 },
      },
    };
    const [original, other] = await Promise.all([Descry.load(embeddedModel), Descry.load(changed)]);
    expect(other.info.fingerprint).not.toBe(original.info.fingerprint);
  });

  it('lets a classifier compiled from the folder load and score the same from memory, and back', async () => {
    const { images, labels } = await emojiFixtures();
    const [folder, bundled] = await Promise.all([Descry.load(DEFAULT_MODEL_DIR), Descry.load(embeddedModel)]);
    for (const [from, to] of [
      [folder, bundled],
      [bundled, folder],
    ] as const) {
      const compiled = await from.compile({ labels, templates: ['an emoji of {}.'] });
      const loaded = to.loadClassifier(compiled.toBytes('float32'));
      const [expected] = await from.classify([images[0]!.bytes], compiled);
      const [actual] = await to.classify([images[0]!.bytes], loaded);
      expect(actual!.predictions.map((p) => p.label)).toEqual(expected!.predictions.map((p) => p.label));
      for (const [i, p] of actual!.predictions.entries()) {
        expect(p.score).toBeCloseTo(expected!.predictions[i]!.score, 6);
      }
    }
    // And a classifier of another model is still refused.
    const changed = await Descry.load({
      id: 'changed',
      files: {
        ...embeddedModel.files,
        'config.json': { ...(embeddedModel.files['config.json'] as object), extra: 1 },
      },
    });
    const foreign = (await folder.compile({ labels })).toBytes();
    expect(() => changed.loadClassifier(foreign)).toThrow(ModelMismatchError);
  });
});
