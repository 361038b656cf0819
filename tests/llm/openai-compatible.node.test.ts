import { isDescryError } from 'descry';
import {
  describePairs,
  type OpenAICompatibleSourceOptions,
  openAICompatibleSource,
  PairDescriptionCache,
  precomputePairs,
} from 'descry/llm';
import { MemoryStore } from 'descry/store';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ChatRequest,
  type OpenAIServer,
  type Reply,
  startOpenAIServer,
} from '../support/openai-server.js';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function sourceFor(
  respond: (request: ChatRequest) => Reply,
  options: Partial<OpenAICompatibleSourceOptions> = {},
) {
  server = await startOpenAIServer(respond);
  return openAICompatibleSource({
    baseURL: server.baseURL,
    model: 'test-model',
    apiKey: 'sk-test',
    maxRetries: 0,
    timeoutMs: 5_000,
    ...options,
  });
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isDescryError(error) ? error.code : `untyped: ${String(error)}`;
  }
}

/** The JSON a well-behaved model returns for the pair named in the prompt. */
function pairJson(a: string, b: string): string {
  return JSON.stringify({
    attributes: [
      {
        attr_type: 'snout',
        descriptions: {
          [a]: `a photo of a ${a}, which has its snout`,
          [b]: `a photo of a ${b}, which has its snout`,
        },
      },
      {
        attr_type: 'coat',
        descriptions: {
          [a]: `a photo of a ${a}, which has its coat`,
          [b]: `a photo of a ${b}, which has its coat`,
        },
      },
    ],
  });
}

/** The two quoted class names of a pair prompt. */
function classesIn(prompt: string): [string, string] {
  const match = /photos of "([^"]+)" apart from photos of "([^"]+)"/.exec(prompt);
  if (!match) throw new Error(`not a pair prompt: ${prompt}`);
  return [match[1]!, match[2]!];
}

describe('openAICompatibleSource over HTTP', () => {
  it('asks for descriptors with the few-shot prompt and parses the list', async () => {
    const source = await sourceFor(() => ({
      content:
        'Sure! Here are the features:\n1. Wrinkled face.\n2. Curled tail\n3. Short coat\n\nHope this helps!',
    }));
    expect(await source.descriptors('pug')).toEqual(['Wrinkled face', 'Curled tail', 'Short coat']);
    const request = server!.requests[0]!;
    expect(request.prompt).toBe('What are useful visual features for distinguishing a pug in a photo?');
    expect(request.headers.authorization).toBe('Bearer sk-test');
    expect(request.body.model).toBe('test-model');
    expect(request.body.messages?.filter((m) => m.role === 'assistant')).toHaveLength(2);
    expect(source.id).toBe('openai-compatible:test-model');
  });

  it('puts the context into the question and uses "an" before a vowel', async () => {
    const source = await sourceFor(() => ({ content: '- long neck' }));
    await source.descriptors('egret', { context: 'bird' });
    expect(server!.requests[0]!.prompt).toBe(
      'What are useful visual features for distinguishing an egret (a kind of bird) in a photo?',
    );
  });

  it('rejects an answer without a list as llm_output_invalid', async () => {
    const source = await sourceFor(() => ({ content: "I'm sorry, I can't help with that!" }));
    expect(await codeOf(source.descriptors('pug'))).toBe('llm_output_invalid');
  });

  it("asks for subclasses with CHiLS's prompt and parses a comma list or a bulleted one", async () => {
    const source = await sourceFor((request) => ({
      content: request.prompt.includes('>dog:')
        ? 'beagle, pug, border collie, and dachshund.'
        : 'Here are some types:\n- tabby cat\n- Siamese cat\n- tabby cat',
    }));
    expect(await source.subclasses!('dog')).toEqual(['beagle', 'pug', 'border collie', 'dachshund']);
    expect(server!.requests[0]!.prompt).toBe(
      'Generate a comma separated list of 10 types of the following:\n\n>dog:',
    );
    expect(await source.subclasses!('cat', { context: 'pet' })).toEqual(['tabby cat', 'Siamese cat']);
    expect(server!.requests[1]!.prompt).toBe(
      'Generate a comma separated list of 10 types of the following pet:\n\n>cat:',
    );
    const silent = await sourceFor(() => ({ content: '' }));
    expect(await codeOf(silent.subclasses!('cat'))).toBe('llm_output_invalid');
  });

  it('gets pair descriptions in JSON mode, oriented canonically', async () => {
    const source = await sourceFor((request) => ({ content: pairJson(...classesIn(request.prompt)) }));
    const description = await source.pairDescriptions('pug', 'beagle');
    expect(server!.requests[0]!.wantsJson).toBe(true);
    expect(classesIn(server!.requests[0]!.prompt)).toEqual(['pug', 'beagle']);
    expect(description.classes).toEqual(['beagle', 'pug']);
    expect(description.attributes.map((a) => a.attr_type)).toEqual(['snout', 'coat']);
    expect(description.attributes[0]!.prompt_pair).toEqual([
      'a photo of a beagle, which has its snout',
      'a photo of a pug, which has its snout',
    ]);
  });

  it('sends the JSON schema when the endpoint supports structured outputs', async () => {
    const source = await sourceFor((request) => ({ content: pairJson(...classesIn(request.prompt)) }), {
      supportsStructuredOutputs: true,
    });
    await source.pairDescriptions('pug', 'beagle');
    const format = server!.requests[0]!.body.response_format;
    expect(format?.type).toBe('json_schema');
    expect(JSON.stringify(format?.json_schema)).toContain('"beagle"');
  });

  it('falls back to parsing the text when JSON was asked but prose came back', async () => {
    const source = await sourceFor(() => ({
      content:
        'Here you go!\n\nAttribute: snout\npug: a pug with a flat snout\nbeagle: a beagle with a long snout\n\nEnjoy!',
    }));
    const description = await source.pairDescriptions('pug', 'beagle');
    expect(description.attributes).toEqual([
      { attr_type: 'snout', prompt_pair: ['a beagle with a long snout', 'a pug with a flat snout'] },
    ]);
  });

  it('reports non-JSON output as llm_output_invalid in strict JSON mode', async () => {
    const source = await sourceFor(() => ({ content: 'Attribute: snout\npug: flat\nbeagle: long' }), {
      pairOutput: 'json',
    });
    expect(await codeOf(source.pairDescriptions('pug', 'beagle'))).toBe('llm_output_invalid');
  });

  it('reports JSON of the wrong schema as llm_output_invalid', async () => {
    const source = await sourceFor(() => ({
      content: JSON.stringify({ differences: ['pugs are smaller'] }),
    }));
    expect(await codeOf(source.pairDescriptions('pug', 'beagle'))).toBe('llm_output_invalid');
  });

  it('asks again in the text format when the endpoint rejects JSON mode', async () => {
    const source = await sourceFor((request) =>
      request.wantsJson
        ? {
            status: 400,
            body: { error: { message: 'response_format is not supported', type: 'invalid_request_error' } },
          }
        : { content: 'Attribute: snout\npug: a flat snout\nbeagle: a long snout' },
    );
    const description = await source.pairDescriptions('pug', 'beagle');
    expect(description.attributes[0]!.prompt_pair).toEqual(['a long snout', 'a flat snout']);
    expect(server!.requests.map((r) => r.wantsJson)).toEqual([true, false]);
  });

  it('uses the text format only when told to', async () => {
    const source = await sourceFor(() => ({ content: 'Attribute: snout\npug: flat\nbeagle: long' }), {
      pairOutput: 'text',
    });
    await source.pairDescriptions('pug', 'beagle');
    expect(server!.requests[0]!.wantsJson).toBe(false);
    expect(server!.requests[0]!.prompt).toContain('Attribute: <attribute name>');
  });

  it('turns a slow answer into llm_timeout', async () => {
    const source = await sourceFor(() => ({ content: '- too late', delayMs: 30_000 }), { timeoutMs: 200 });
    expect(await codeOf(source.descriptors('pug'))).toBe('llm_timeout');
  });

  it('turns a request that never gets an answer into llm_timeout', async () => {
    const source = await sourceFor(() => ({ hang: true }), { timeoutMs: 200 });
    expect(await codeOf(source.pairDescriptions('pug', 'beagle'))).toBe('llm_timeout');
  });

  it('turns 500 and 429 into llm_failed with the status', async () => {
    for (const status of [500, 429]) {
      const source = await sourceFor(() => ({ status, body: { error: { message: 'nope' } } }));
      const failure = await source.descriptors('pug').catch((error: unknown) => error);
      expect(isDescryError(failure) && failure.code).toBe('llm_failed');
      expect(isDescryError(failure) && failure.details?.status).toBe(status);
      await server!.close();
      server = undefined;
    }
  });

  it('retries a 429 that says when to come back', async () => {
    let calls = 0;
    const source = await sourceFor(
      () => {
        calls += 1;
        return calls === 1
          ? { status: 429, headers: { 'retry-after-ms': '10' }, body: { error: { message: 'slow down' } } }
          : { content: '- curled tail' };
      },
      { maxRetries: 1 },
    );
    expect(await source.descriptors('pug')).toEqual(['curled tail']);
    expect(server!.requests).toHaveLength(2);
  });

  it('turns an unreachable endpoint into llm_failed', async () => {
    const probe = await startOpenAIServer(() => ({ content: '' }));
    const baseURL = probe.baseURL;
    await probe.close();
    const source = openAICompatibleSource({ baseURL, model: 'm', maxRetries: 0, timeoutMs: 2_000 });
    expect(await codeOf(source.descriptors('pug'))).toBe('llm_failed');
  });

  it('rejects bad labels before calling the endpoint', async () => {
    const source = await sourceFor(() => ({ content: '- x' }));
    expect(await codeOf(source.descriptors('  '))).toBe('invalid_input');
    expect(await codeOf(source.pairDescriptions('pug', 'pug'))).toBe('invalid_input');
    expect(server!.requests).toHaveLength(0);
  });

  it('describes pairs within a deadline, keeping the answers that arrived and listing the rest', async () => {
    const source = await sourceFor((request) => {
      const [a, b] = classesIn(request.prompt);
      if (a === 'fox' || b === 'fox') return { content: pairJson(a, b), delayMs: 30_000 };
      if (a === 'emu' || b === 'emu') return { status: 500 };
      return { content: pairJson(a, b) };
    });
    const cache = new PairDescriptionCache(new MemoryStore(), source.id);
    const result = await describePairs(
      source,
      [
        ['pug', 'beagle'],
        ['pug', 'fox'],
        ['pug', 'emu'],
      ],
      { deadlineMs: 300, concurrency: 3, cache },
    );
    expect(result.descriptions.map((d) => d.classes)).toEqual([['beagle', 'pug']]);
    expect(result.failed.map((f) => [f.pair, f.error.code])).toEqual([
      [['fox', 'pug'], 'llm_timeout'],
      [['emu', 'pug'], 'llm_failed'],
    ]);
    expect(await cache.get('beagle', 'pug')).toEqual(result.descriptions[0]);
    expect(await cache.get('fox', 'pug')).toBeNull();
  });

  it('precomputes every pair of a label set into the cache once', async () => {
    const source = await sourceFor((request) => ({ content: pairJson(...classesIn(request.prompt)) }));
    const cache = new PairDescriptionCache(new MemoryStore(), source.id);
    const labels = ['pug', 'beagle', 'husky', 'corgi'];
    const report = await precomputePairs(source, cache, labels, { concurrency: 3 });
    expect(report).toMatchObject({ total: 6, generated: 6, cached: 0, failed: [] });
    expect(server!.requests).toHaveLength(6);
    expect(await cache.pairs()).toHaveLength(6);
    const again = await precomputePairs(source, cache, labels);
    expect(again).toMatchObject({ total: 6, generated: 0, cached: 6 });
    expect(server!.requests).toHaveLength(6);
  });
});
