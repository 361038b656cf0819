/**
 * One fingerprint inside workerd: the embedded model as the Worker bundles it (parsed JSON), as
 * bytes, and from R2 (DESCRY_MODEL = "r2") agree, and a classifier compiled by the `descry` CLI
 * in Node (tests/worker/support/provide-fixtures.ts) loads in the SDK here and is served by the
 * Worker when stored under an id.
 */
import { env, exports } from 'cloudflare:workers';
import { CompiledClassifier, Descry } from 'descry';
import { describe, expect, inject, it } from 'vitest';
// The bundle form (the Worker's: parsed JSON and .onnx bytes), whatever this runtime's own entry is.
import { emojiClip as embeddedModel } from '../../sdk/embedded/emoji-clip/workerd.js';
import { r2ModelFiles } from '../../worker/hosts/r2-model-files.js';
import { emojiFixtures } from './support/fixture-images.js';
import { base64 } from './support/synthetic-images.js';
import { TEST_KEYS } from './support/test-vars.js';

const worker = (exports as unknown as { default: { fetch(request: Request): Promise<Response> } }).default;
const bindings = env as unknown as { CLASSIFIERS: KVNamespace; ADAPTATIONS: R2Bucket };
const AUTH = { Authorization: `Bearer ${TEST_KEYS[0]}`, 'Content-Type': 'application/json' };

function call(path: string, init?: RequestInit): Promise<Response> {
  return worker.fetch(new Request(`https://descry.test${path}`, init));
}

/** The bundled files as bytes, JSON written with another layout (indented). */
function asBytes(): Record<string, Uint8Array> {
  const encoder = new TextEncoder();
  return Object.fromEntries(
    Object.entries(embeddedModel.files).map(([path, value]) => [
      path,
      value instanceof Uint8Array ? value : encoder.encode(JSON.stringify(value, null, 2)),
    ]),
  );
}

function nodeClassifier(): { labels: string[]; templates: string[]; bytes: Uint8Array } {
  const provided = inject('nodeCompiledClassifier');
  if (!provided) throw new Error('the global setup did not compile a classifier for workerd');
  return { ...provided, bytes: Uint8Array.from(atob(provided.base64), (c) => c.charCodeAt(0)) };
}

describe('the model fingerprint in workerd', () => {
  it('is the same for the bundled files, their bytes and R2, and equals the one Node computed', async () => {
    const prefix = `fingerprint-${crypto.randomUUID()}/`;
    for (const [path, bytes] of Object.entries(asBytes()))
      await bindings.ADAPTATIONS.put(`${prefix}${path}`, bytes);
    const fingerprints = await Promise.all(
      [embeddedModel, { id: 'bytes', files: asBytes() }, r2ModelFiles(bindings.ADAPTATIONS, prefix)].map(
        async (source) => (await Descry.load(source)).info.fingerprint,
      ),
    );
    const { bytes } = nodeClassifier();
    // The CLI compiled in Node from the model folder; its classifier carries that load's fingerprint.
    const fromNode = CompiledClassifier.fromBytes(bytes).fingerprint;
    expect(fingerprints).toEqual([fromNode, fromNode, fromNode]);
  });

  it('loads a classifier the CLI compiled in Node, in the SDK and in the Worker', async () => {
    const { labels, templates, bytes } = nodeClassifier();
    const { images } = await emojiFixtures();
    const descry = await Descry.load(embeddedModel);
    const classifier = descry.loadClassifier(bytes);
    expect([...classifier.labels]).toEqual(labels);
    expect([...classifier.templates]).toEqual(templates);
    const [result] = await descry.classify([images[0]!.bytes], classifier);
    expect(result!.predictions[0]!.label).toBe(images[0]!.label);

    // Stored under an id as the service stores its own, the Worker serves it (no model_mismatch).
    await bindings.CLASSIFIERS.put('classifiers/compiled-in-node', bytes);
    const info = await call('/v1/classifiers/compiled-in-node', { headers: AUTH });
    expect(info.status, await info.clone().text()).toBe(200);
    expect(((await info.json()) as { labels: string[] }).labels).toEqual(labels);
    const classified = await call('/v1/classify', {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify({ images: [base64(images[0]!.bytes)], classifier: 'compiled-in-node' }),
    });
    expect(classified.status, await classified.clone().text()).toBe(200);
    const body = (await classified.json()) as { results: Array<{ predictions: Array<{ label: string }> }> };
    expect(body.results[0]!.predictions[0]!.label).toBe(images[0]!.label);
  });
});
