/**
 * The official `openai` npm client inside workerd, against the Worker entry (its `fetch` option
 * calls the Worker directly): the same suite as on Node (support/openai-client-contract.ts).
 */
import { exports } from 'cloudflare:workers';
import OpenAI from 'openai';
import { emojiFixtures } from './support/fixture-images.js';
import { openAiClientContract } from './support/openai-client-contract.js';
import { workerdReferenceEngine } from './support/reference-engine.workerd.js';

const worker = (exports as unknown as { default: { fetch(request: Request): Promise<Response> } }).default;
const origin = 'https://descry.test';

openAiClientContract({
  client: (apiKey) =>
    new OpenAI({
      apiKey,
      baseURL: `${origin}/v1`,
      maxRetries: 0,
      fetch: (input, init) => worker.fetch(new Request(input, init)),
    }),
  modelId: async () =>
    (
      (await (await worker.fetch(new Request(`${origin}/healthz?ready=1`))).json()) as {
        model: { id: string };
      }
    ).model.id,
  fixtures: emojiFixtures,
  reference: workerdReferenceEngine,
});
