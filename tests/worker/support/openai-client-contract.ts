/**
 * `POST /v1/embeddings` driven by the official `openai` npm client, as one suite run against the
 * Node server on 127.0.0.1 and against the Worker inside workerd (the client's `fetch` option):
 * its default base64 encoding (which it decodes), `encoding_format: 'float'`, images by Infinity's
 * `modality: 'image'` and Jina's `{ image }` items, and every refusal as the client reports it
 * (its error classes, `status`, `code`, `param`, the request id). Vectors must be the SDK's own.
 */
import type OpenAI from 'openai';
import { APIError, AuthenticationError, BadRequestError, NotFoundError } from 'openai';
import { describe, expect, it } from 'vitest';
import type { ClassificationEngine } from '../../../worker/service/deps.js';
import type { LabelledImage } from './service-contract.js';
import { base64, solidPng, truncatedPng } from './synthetic-images.js';
import { TEST_KEYS, TEST_LIMITS } from './test-vars.js';

/** How the suite reaches a running service. */
export interface OpenAiClientTarget {
  /** An `openai` client for the service's `/v1`, with this API key. */
  client(apiKey: string): OpenAI;
  /** The served model's id, as /healthz reports it. */
  modelId(): Promise<string>;
  fixtures: () => Promise<{ images: LabelledImage[]; labels: string[] }>;
  reference: () => Promise<ClassificationEngine>;
}

const dataUrl = (bytes: Uint8Array) => `data:image/png;base64,${base64(bytes)}`;

function rowsOf(matrix: { rows: number; cols: number; data: Float32Array }): number[][] {
  return Array.from({ length: matrix.rows }, (_, r) =>
    Array.from(matrix.data.subarray(r * matrix.cols, (r + 1) * matrix.cols)),
  );
}

/** The error a call fails with (the test fails when it succeeds). */
async function failure(call: Promise<unknown>): Promise<APIError> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome, 'the call should have failed').toBeInstanceOf(APIError);
  return outcome as APIError;
}

/** Register the suite. */
export function openAiClientContract(target: OpenAiClientTarget): void {
  const client = () => target.client(TEST_KEYS[0]);

  describe('the openai client against POST /v1/embeddings', () => {
    it('embeds texts with its default base64 encoding, decoded by the client to the SDK’s vectors', async () => {
      const model = await target.modelId();
      const texts = ['an emoji of a cat', 'an emoji of a pizza', 'a red apple'];
      const response = await client().embeddings.create({ model, input: texts });
      const expected = rowsOf(await (await target.reference()).embedTexts(texts));
      expect(response.object).toBe('list');
      expect(response.model).toBe(model);
      expect(response.usage).toEqual({ prompt_tokens: 0, total_tokens: 0 });
      expect(response.data.map((item) => [item.object, item.index])).toEqual([
        ['embedding', 0],
        ['embedding', 1],
        ['embedding', 2],
      ]);
      // base64 carries the float32 bits: the decoded vectors are exactly the SDK's.
      for (const [i, item] of response.data.entries()) expect(item.embedding).toEqual(expected[i]);
    });

    it('answers numbers with encoding_format float, for one string and for a list', async () => {
      const model = await target.modelId();
      const one = await client().embeddings.create({ model, input: 'a cat', encoding_format: 'float' });
      const [expected] = rowsOf(await (await target.reference()).embedTexts(['a cat']));
      expect(one.data).toHaveLength(1);
      expect(one.data[0]!.embedding).toEqual(expected);
      expect(Math.hypot(...one.data[0]!.embedding)).toBeCloseTo(1, 5);
    });

    it('sends base64 as little-endian float32 bytes when asked for it explicitly', async () => {
      const model = await target.modelId();
      const response = await client().embeddings.create({
        model,
        input: ['a dog'],
        encoding_format: 'base64',
      });
      const encoded = response.data[0]!.embedding as unknown as string;
      expect(typeof encoded).toBe('string');
      const bytes = Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0));
      const view = new DataView(bytes.buffer);
      const decoded = Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
      const [expected] = rowsOf(await (await target.reference()).embedTexts(['a dog']));
      expect(decoded).toEqual(expected);
    });

    it('embeds images as data URLs with modality "image" (Infinity) and as { image } items among texts (Jina)', async () => {
      const model = await target.modelId();
      const { images } = await target.fixtures();
      const [a, b] = [images[0]!.bytes, images[1]!.bytes];
      const reference = await target.reference();
      const expectedImages = rowsOf(await reference.embedImages([a, b]));
      const expectedTexts = rowsOf(await reference.embedTexts(['a cat', 'a dog']));

      const infinity = await client().embeddings.create({
        model,
        input: [dataUrl(a), base64(b)],
        modality: 'image',
      } as OpenAI.EmbeddingCreateParams);
      expect(infinity.data.map((item) => item.embedding)).toEqual(expectedImages);

      const jina = await client().embeddings.create({
        model,
        input: [{ text: 'a cat' }, { image: dataUrl(a) }, 'a dog', { image: base64(b) }],
      } as unknown as OpenAI.EmbeddingCreateParams);
      expect(jina.data.map((item) => item.index)).toEqual([0, 1, 2, 3]);
      expect(jina.data.map((item) => item.embedding)).toEqual([
        expectedTexts[0],
        expectedImages[0],
        expectedTexts[1],
        expectedImages[1],
      ]);
    });

    it("accepts the model's own dimensions and its id's last part as the model", async () => {
      const id = await target.modelId();
      const dim = (await (await target.reference()).embedTexts(['x'])).cols;
      const last = id.split('/').filter(Boolean).pop()!;
      const response = await client().embeddings.create({ model: last, input: 'x', dimensions: dim });
      expect(response.data[0]!.embedding).toHaveLength(dim);
    });

    it('refuses other dimensions with 400 invalid_input on param dimensions', async () => {
      const model = await target.modelId();
      const error = await failure(client().embeddings.create({ model, input: 'x', dimensions: 3 }));
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error).toMatchObject({ status: 400, code: 'invalid_input', param: 'dimensions' });
      expect(error.message).toMatch(/dimensions/);
      expect(error.requestID).toMatch(/.{8,}/);
    });

    it('refuses an unknown model with 404 not_found on param model', async () => {
      const error = await failure(
        client().embeddings.create({ model: 'text-embedding-3-small', input: 'x' }),
      );
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({
        status: 404,
        code: 'not_found',
        param: 'model',
        type: 'invalid_request_error',
      });
    });

    it('refuses empty input, token ids, an image where text is expected and image URLs with 400', async () => {
      const model = await target.modelId();
      const image = dataUrl(solidPng(8, 8));
      const cases: Array<[unknown, string, RegExp]> = [
        ['', 'input', /input/],
        [[], 'input', /input/],
        [[1, 2, 3], 'input', /token ids/],
        [[[1, 2, 3]], 'input', /token ids/],
        [['a cat', image], 'input', /modality/],
        [[{ image: 'https://169.254.169.254/latest/meta-data/x.png' }], 'input', /URL/],
      ];
      for (const [input, param, message] of cases) {
        const error = await failure(
          client().embeddings.create({ model, input } as OpenAI.EmbeddingCreateParams),
        );
        expect(error, JSON.stringify(input)).toBeInstanceOf(BadRequestError);
        expect(error).toMatchObject({
          status: 400,
          code: 'invalid_input',
          param,
          type: 'invalid_request_error',
        });
        expect(error.message).toMatch(message);
      }
      const url = await failure(
        client().embeddings.create({
          model,
          input: ['http://127.0.0.1/cat.png'],
          modality: 'image',
        } as OpenAI.EmbeddingCreateParams),
      );
      expect(url).toMatchObject({ status: 400, code: 'invalid_input', param: 'input' });
    });

    it('refuses more texts or images than the service allows with 400 invalid_input', async () => {
      const model = await target.modelId();
      const texts = Array.from({ length: TEST_LIMITS.maxTexts + 1 }, (_, i) => `text ${i}`);
      const tooManyTexts = await failure(client().embeddings.create({ model, input: texts }));
      expect(tooManyTexts).toMatchObject({ status: 400, code: 'invalid_input', param: 'input' });
      expect(tooManyTexts.message).toContain(String(TEST_LIMITS.maxTexts));
      const image = base64(solidPng(8, 8));
      const tooManyImages = await failure(
        client().embeddings.create({
          model,
          input: Array.from({ length: TEST_LIMITS.maxImages + 1 }, () => image),
          modality: 'image',
        } as OpenAI.EmbeddingCreateParams),
      );
      expect(tooManyImages).toMatchObject({ status: 400, code: 'invalid_input', param: 'input' });
      expect(tooManyImages.message).toContain(String(TEST_LIMITS.maxImages));
    });

    it("reports a bad image with the service's code and the item it was", async () => {
      const model = await target.modelId();
      const error = await failure(
        client().embeddings.create({
          model,
          input: ['a cat', { image: base64(truncatedPng()) }],
        } as unknown as OpenAI.EmbeddingCreateParams),
      );
      expect(error).toMatchObject({ status: 400, code: 'image_corrupt', param: 'input' });
      const large = await failure(
        client().embeddings.create({
          model,
          input: [base64(solidPng(1024, 1024))],
          modality: 'image',
        } as OpenAI.EmbeddingCreateParams),
      );
      expect(large).toMatchObject({ status: 400, code: 'image_too_large', param: 'input' });
      expect(large.message).toContain('input[0]');
    });

    it('is refused with 401 for a wrong key, which the client reports as an AuthenticationError', async () => {
      const model = await target.modelId();
      const error = await failure(target.client('not-a-key').embeddings.create({ model, input: 'x' }));
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.status).toBe(401);
    });
  });
}
