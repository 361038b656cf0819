/**
 * The official `openai` npm client against a real Node server on 127.0.0.1
 * (support/openai-client-contract.ts; the same suite runs against the Worker in workerd).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll } from 'vitest';
import { type RunningServer, startNodeServer } from '../../worker/hosts/node-server.node.js';
import { emojiFixtures } from './support/fixture-images.js';
import { openAiClientContract } from './support/openai-client-contract.js';
import { nodeReferenceEngine } from './support/reference-engine.node.js';
import { TEST_VARS } from './support/test-vars.js';

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
