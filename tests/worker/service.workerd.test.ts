/**
 * The service inside workerd: the Worker entry (worker/index.ts) with the embedded model, real
 * KV and R2 bindings from miniflare, and the static LLM source (bindings in vitest.config.ts).
 */
import { env, exports } from 'cloudflare:workers';
import { CompiledClassifier } from 'descry';
import { describe, expect, it } from 'vitest';
import { emojiFixtures } from './support/fixture-images.js';
import { workerdReferenceEngine } from './support/reference-engine.workerd.js';
import { serviceContract } from './support/service-contract.js';
import { STATIC_DESCRIPTIONS, TEST_KEYS } from './support/test-vars.js';

const worker = (exports as unknown as { default: { fetch(request: Request): Promise<Response> } }).default;
const bindings = env as unknown as { CLASSIFIERS: KVNamespace };

function call(path: string, init?: RequestInit): Promise<Response> {
  return worker.fetch(new Request(`https://descry.test${path}`, init));
}

serviceContract({ fetch: call, fixtures: emojiFixtures, reference: workerdReferenceEngine });

const AUTH = { Authorization: `Bearer ${TEST_KEYS[1]}`, 'Content-Type': 'application/json' };

describe('describe with the static source', () => {
  it('stores the static descriptors and pairs and classifies with them', async () => {
    const labels = Object.keys(STATIC_DESCRIPTIONS.descriptors);
    const put = await call('/v1/classifiers/static-described', {
      method: 'PUT',
      headers: AUTH,
      body: JSON.stringify({ labels }),
    });
    expect(put.status).toBe(201);
    const response = await call('/v1/classifiers/static-described/describe', {
      method: 'POST',
      headers: AUTH,
    });
    expect(response.status, await response.clone().text()).toBe(200);
    const body = (await response.json()) as {
      classifier: { descriptors: Record<string, string[]> };
      pairs: number;
    };
    expect(body.classifier.descriptors).toEqual(STATIC_DESCRIPTIONS.descriptors);
    expect(body.pairs).toBe(STATIC_DESCRIPTIONS.pairs.length);
    const { images } = await emojiFixtures();
    const image = btoa(String.fromCharCode(...images[0]!.bytes));
    const classify = await call('/v1/classify', {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify({ images: [image], classifier: 'static-described', method: 'descriptions' }),
    });
    expect(classify.status, await classify.clone().text()).toBe(200);
    const result = (await classify.json()) as {
      degraded?: unknown;
      results: Array<{
        degraded?: unknown;
        predictions: Array<{ label: string; evidence?: Array<{ descriptor: string }> }>;
      }>;
    };
    expect(result.degraded).toBeUndefined();
    expect(result.results[0]?.degraded).toBeUndefined();
    const top = result.results[0]?.predictions[0];
    expect(labels).toContain(top?.label);
    expect(top?.evidence?.length).toBeGreaterThan(0);
  });

  it('answers 404 from the static source for labels it has no descriptors for', async () => {
    await call('/v1/classifiers/unknown-labels', {
      method: 'PUT',
      headers: AUTH,
      body: JSON.stringify({ labels: ['zebra', 'unicorn'] }),
    });
    const response = await call('/v1/classifiers/unknown-labels/describe', { method: 'POST', headers: AUTH });
    expect(response.status).toBe(404);
  });
});

describe('subclasses from the static source', () => {
  it('generates subclasses, drops the one two labels got, keeps the descriptors, and classifies with them', async () => {
    const labels = Object.keys(STATIC_DESCRIPTIONS.subclasses);
    await call('/v1/classifiers/static-subclassed', {
      method: 'PUT',
      headers: AUTH,
      body: JSON.stringify({ labels, descriptors: { cat: ['whiskers'] } }),
    });
    const response = await call('/v1/classifiers/static-subclassed/describe?generate=subclasses', {
      method: 'POST',
      headers: AUTH,
    });
    expect(response.status, await response.clone().text()).toBe(200);
    const body = (await response.json()) as {
      classifier: { subclasses: Record<string, string[]>; descriptors: Record<string, string[]> };
      dropped_subclasses: Array<{ subclass: string; labels: string[] }>;
    };
    expect(body.classifier.subclasses).toEqual({
      cat: ['tabby cat', 'siamese cat'],
      dog: ['beagle', 'pug'],
      pizza: ['margherita pizza', 'pepperoni pizza'],
    });
    expect(body.dropped_subclasses).toEqual([{ subclass: 'kitten', labels: ['cat', 'dog'] }]);
    expect(body.classifier.descriptors.cat).toEqual(['whiskers']);
    const { images } = await emojiFixtures();
    const classify = await call('/v1/classify', {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify({
        images: [btoa(String.fromCharCode(...images[0]!.bytes))],
        classifier: 'static-subclassed',
        method: 'subclasses',
      }),
    });
    const result = (await classify.json()) as {
      degraded?: unknown;
      results: Array<{ predictions: Array<{ label: string; evidence?: Array<{ descriptor: string }> }> }>;
    };
    expect(result.degraded).toBeUndefined();
    const top = result.results[0]!.predictions[0]!;
    expect(body.classifier.subclasses[top.label]).toContain(top.evidence?.[0]?.descriptor);
  });

  it('refuses a generate value it does not know with 422', async () => {
    const response = await call('/v1/classifiers/static-subclassed/describe?generate=poems', {
      method: 'POST',
      headers: AUTH,
    });
    expect(response.status).toBe(422);
  });
});

describe('stored classifiers of another model', () => {
  it('answers 409 model_mismatch instead of classifying with foreign embeddings', async () => {
    const foreign = new CompiledClassifier({
      labels: ['cat', 'dog'],
      templates: ['{}'],
      weights: { rows: 2, cols: 4, data: new Float32Array([1, 0, 0, 0, 0, 1, 0, 0]) },
      fingerprint: 'f'.repeat(64),
      model: 'another-model',
    });
    await bindings.CLASSIFIERS.put('classifiers/foreign', foreign.toBytes());
    const response = await call('/v1/classifiers/foreign', { headers: AUTH });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { code: string }).code).toBe('model_mismatch');
  });

  it('answers 409 model_mismatch for a calibration fitted on other weights than the stored ones', async () => {
    const health = (await (await call('/healthz?ready=1')).json()) as {
      model: { id: string; fingerprint: string };
    };
    const dim = 256;
    const data = new Float32Array(2 * dim);
    data[0] = 1;
    data[dim + 1] = 1;
    const classifier = new CompiledClassifier({
      labels: ['cat', 'dog'],
      templates: ['{}'],
      weights: { rows: 2, cols: dim, data },
      fingerprint: health.model.fingerprint,
      model: health.model.id,
    });
    const calibrated = classifier.withCalibration({
      alpha: 0.1,
      method: 'lac',
      threshold: 0.5,
      n: 9,
      rank: 9,
      predictor: { method: 'zeroshot' },
      weightsFingerprint: classifier.calibrationFingerprint({ method: 'zeroshot' }),
      created: new Date().toISOString(),
    });
    const bytes = calibrated.toBytes('float32');
    // The last weight changes: the stored calibration no longer belongs to these weights.
    new DataView(bytes.buffer).setFloat32(bytes.length - 4, 0.5, true);
    await bindings.CLASSIFIERS.put('classifiers/recalibrated-elsewhere', bytes);
    const response = await call('/v1/classifiers/recalibrated-elsewhere', { headers: AUTH });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { code: string }).code).toBe('model_mismatch');
  });
});
