/**
 * The official `openai` npm client against a real Node server on 127.0.0.1
 * (support/openai-client-contract.ts; the same suite runs against the Worker in workerd).
 */
import { encode as encodePng } from 'fast-png';
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startNodeServer } from '../../worker/hosts/node-server.node.js';
import { emojiFixtures } from './support/fixture-images.js';
import { openAiClientContract } from './support/openai-client-contract.js';
import { nodeReferenceEngine } from './support/reference-engine.node.js';
import { base64 } from './support/synthetic-images.js';
import { TEST_KEYS, TEST_VARS } from './support/test-vars.js';

let server: RunningServer;

beforeAll(async () => {
  server = await startNodeServer({ port: 0, vars: TEST_VARS });
});

afterAll(async () => {
  await server?.close();
});

openAiClientContract({
  client: (apiKey) => new OpenAI({ apiKey, baseURL: `${server.url}/v1`, maxRetries: 0 }),
  modelId: async () =>
    ((await (await fetch(`${server.url}/healthz?ready=1`)).json()) as { model: { id: string } }).model.id,
  fixtures: emojiFixtures,
  reference: nodeReferenceEngine,
});

describe('the openai client against a busy service', () => {
  /** A PNG of a pattern: as costly to decode as any image of its size, small to send. */
  function patternPng(side: number): Uint8Array {
    const data = new Uint8Array(side * side * 4);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++)
        data.set([(x * 7) & 255, (y * 13) & 255, (x ^ y) & 255, 255], (y * side + x) * 4);
    }
    return encodePng({ width: side, height: side, data, channels: 4, depth: 8 });
  }

  it('reports 503 overloaded in OpenAI’s envelope, with Retry-After, when admission refuses', async () => {
    const busy = await startNodeServer({
      port: 0,
      vars: {
        ...TEST_VARS,
        DESCRY_MAX_PENDING_REQUESTS: '1',
        DESCRY_MAX_IMAGE_PIXELS: String(1000 * 1000),
        DESCRY_MAX_REQUEST_PIXELS: String(8 * 1000 * 1000),
        DESCRY_MAX_BODY_BYTES: String(16 * 1024 * 1024),
      },
    });
    try {
      const client = new OpenAI({ apiKey: TEST_KEYS[0], baseURL: `${busy.url}/v1`, maxRetries: 0 });
      const model = ((await (await fetch(`${busy.url}/healthz?ready=1`)).json()) as { model: { id: string } })
        .model.id;
      const image = base64(patternPng(700));
      const input = Array.from({ length: 8 }, () => image);
      const outcomes = await Promise.all(
        Array.from({ length: 4 }, () =>
          client.embeddings.create({ model, input, modality: 'image' } as OpenAI.EmbeddingCreateParams).then(
            () => 'ok' as const,
            (error: unknown) => error,
          ),
        ),
      );
      expect(outcomes).toContain('ok');
      const refused = outcomes.filter((outcome) => outcome instanceof APIError);
      expect(refused.length).toBeGreaterThan(0);
      for (const error of refused) {
        expect(error).toMatchObject({ status: 503, code: 'overloaded', type: 'server_error' });
        expect(error.headers?.get('retry-after')).toBe('1');
        expect(error.headers?.get('content-type')).toMatch(/^application\/json/);
      }
    } finally {
      await busy.close();
    }
  });
});
