/**
 * POST /models/{model} driven by the real Hugging Face JS client (@huggingface/inference) pointed
 * at a Node server on 127.0.0.1 with `endpointUrl`: every way the client sends an image for this
 * task (a Blob, which it turns into `{ image: base64 }`; the legacy `{ image: Blob }`; raw bytes
 * with `imageClassification`, labels in the query), the InferenceClient class and the free
 * functions, and a problem the client reports as an error. The answers must be the SDK's own.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  InferenceClient,
  InferenceClientProviderApiError,
  imageClassification,
  zeroShotImageClassification,
} from '@huggingface/inference';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startNodeServer } from '../../worker/hosts/node-server.node.js';
import { emojiFixtures } from './support/fixture-images.js';
import { nodeReferenceEngine } from './support/reference-engine.node.js';
import { TEST_KEYS, TEST_VARS } from './support/test-vars.js';

let server: RunningServer;
let endpoint: string;

beforeAll(async () => {
  server = await startNodeServer({ port: 0, vars: TEST_VARS });
  const health = (await (await fetch(`${server.url}/healthz?ready=1`)).json()) as { model: { id: string } };
  endpoint = `${server.url}/models/${encodeURIComponent(health.model.id)}`;
});

afterAll(async () => {
  await server?.close();
});

async function expected(bytes: Uint8Array, labels: string[], template?: string) {
  const [result] = await (await nodeReferenceEngine()).classify([bytes], labels, {
    ...(template ? { templates: [template] } : {}),
  });
  return result!.predictions.map(({ label, score }) => ({ label, score }));
}

function expectSame(
  actual: Array<{ label: string; score: number }>,
  wanted: Array<{ label: string; score: number }>,
) {
  expect(actual.map((p) => p.label)).toEqual(wanted.map((p) => p.label));
  for (const [i, p] of actual.entries()) expect(p.score).toBeCloseTo(wanted[i]!.score, 5);
}

describe('the Hugging Face JS client against POST /models/{model}', () => {
  it('classifies a Blob with zeroShotImageClassification, as a function and through InferenceClient', async () => {
    const { images, labels } = await emojiFixtures();
    const image = images[0]!;
    const blob = new Blob([image.bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' });
    const wanted = await expected(image.bytes, labels);
    const viaFunction = await zeroShotImageClassification({
      endpointUrl: endpoint,
      accessToken: TEST_KEYS[0],
      inputs: blob,
      parameters: { candidate_labels: labels },
    });
    expectSame(viaFunction, wanted);
    expect(viaFunction[0]!.label).toBe(image.label);

    const client = new InferenceClient(TEST_KEYS[1]).endpoint(endpoint);
    const viaClient = await client.zeroShotImageClassification({
      inputs: blob,
      parameters: { candidate_labels: labels, hypothesis_template: 'an emoji of {}.' },
    });
    expectSame(viaClient, await expected(image.bytes, labels, 'an emoji of {}.'));
  });

  it('accepts the legacy { image: Blob } input', async () => {
    const { images, labels } = await emojiFixtures();
    const image = images[1]!;
    const answer = await zeroShotImageClassification({
      endpointUrl: endpoint,
      accessToken: TEST_KEYS[0],
      inputs: { image: new Blob([image.bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }) },
      parameters: { candidate_labels: labels },
    });
    expectSame(answer, await expected(image.bytes, labels));
  });

  it('takes raw image bytes (imageClassification posts the Blob itself), labels in the query', async () => {
    const { images, labels } = await emojiFixtures();
    const image = images[2]!;
    const answer = await imageClassification({
      endpointUrl: `${endpoint}?candidate_labels=${encodeURIComponent(labels.join(','))}`,
      accessToken: TEST_KEYS[0],
      data: new Blob([image.bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }),
    });
    expectSame(answer, await expected(image.bytes, labels));
  });

  it('classifies a file read from disk as an untyped Blob', async () => {
    const bytes = new Uint8Array(
      await readFile(join(process.cwd(), 'tests/fixtures/openmoji-eval/1F453.png')),
    );
    const labels = ['eyeglasses', 'sushi', 'hot dog', 'microphone'];
    const answer = await new InferenceClient(TEST_KEYS[0]).endpoint(endpoint).zeroShotImageClassification({
      inputs: new Blob([bytes as Uint8Array<ArrayBuffer>]),
      parameters: { candidate_labels: labels },
    });
    expectSame(answer, await expected(bytes, labels));
  });

  it('surfaces problems as the client errors, with the status', async () => {
    const { images, labels } = await emojiFixtures();
    const blob = new Blob([images[0]!.bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' });
    const attempts = [
      { endpointUrl: `${server.url}/models/not-this-model`, accessToken: TEST_KEYS[0] },
      { endpointUrl: endpoint, accessToken: 'wrong-key' },
    ];
    const statuses = [];
    for (const attempt of attempts) {
      const error = await zeroShotImageClassification({
        ...attempt,
        inputs: blob,
        parameters: { candidate_labels: labels },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InferenceClientProviderApiError);
      statuses.push((error as InferenceClientProviderApiError).httpResponse.status);
    }
    expect(statuses).toEqual([404, 401]);
  });
});
