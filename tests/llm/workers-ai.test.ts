/**
 * Workers AI cannot run outside Cloudflare, so these tests hand the provider a stand-in `AI`
 * binding that answers the way the real binding does (`{ response }` for chat models).
 */

import { isDescryError } from 'descry';
import { workersAISource } from 'descry/llm';
import { describe, expect, it } from 'vitest';

interface Call {
  model: string;
  inputs: { messages?: Array<{ role: string; content: string }>; response_format?: { type: string } };
}

function binding(answer: (call: Call) => Promise<unknown>): { ai: Ai; calls: Call[] } {
  const calls: Call[] = [];
  const ai = {
    run: (model: string, inputs: Call['inputs']) => {
      const call = { model, inputs };
      calls.push(call);
      return answer(call);
    },
  } as unknown as Ai;
  return { ai, calls };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isDescryError(error) ? error.code : `untyped: ${String(error)}`;
  }
}

const MODEL = '@cf/meta/llama-3.1-8b-instruct';

describe('workersAISource', () => {
  it('runs the model through the binding and parses its list', async () => {
    const { ai, calls } = binding(async () => ({ response: '- striped coat\n- long tail' }));
    const source = workersAISource({ binding: ai, model: MODEL });
    expect(await source.descriptors('tiger')).toEqual(['striped coat', 'long tail']);
    expect(source.id).toBe(`workers-ai:${MODEL}`);
    expect(calls[0]?.model).toBe(MODEL);
    expect(calls[0]?.inputs.messages?.at(-1)?.content).toBe(
      'What are useful visual features for distinguishing a tiger in a photo?',
    );
  });

  it('asks for JSON pair descriptions and orients them canonically', async () => {
    const { ai, calls } = binding(async () => ({
      response: JSON.stringify({
        attributes: [
          { attr_type: 'stripes', descriptions: { tiger: 'a striped tiger', lion: 'a plain lion' } },
        ],
      }),
    }));
    const source = workersAISource({ binding: ai, model: MODEL });
    const description = await source.pairDescriptions('tiger', 'lion');
    expect(calls[0]?.inputs.response_format?.type).toMatch(/json/);
    expect(description).toEqual({
      classes: ['lion', 'tiger'],
      attributes: [{ attr_type: 'stripes', prompt_pair: ['a plain lion', 'a striped tiger'] }],
    });
  });

  it('maps a binding failure to llm_failed', async () => {
    const { ai } = binding(async () => {
      throw new Error('AiError: 3040: Capacity temporarily exceeded');
    });
    const source = workersAISource({ binding: ai, model: MODEL, maxRetries: 0 });
    expect(await codeOf(source.descriptors('tiger'))).toBe('llm_failed');
  });

  it('times out a binding that never answers, even though it ignores the abort signal', async () => {
    const { ai } = binding(() => new Promise(() => {}));
    const source = workersAISource({ binding: ai, model: MODEL, timeoutMs: 100 });
    expect(await codeOf(source.pairDescriptions('tiger', 'lion'))).toBe('llm_timeout');
  });
});
