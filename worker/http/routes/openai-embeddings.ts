/**
 * OpenAI's embeddings wire format on `POST /v1/embeddings` (routes/embeddings.ts serves both
 * shapes): the request `{ model, input, encoding_format?, dimensions?, user? }`, the answer
 * `{ object: 'list', data: [{ object: 'embedding', index, embedding }], model, usage }`, and its
 * errors `{ error: { message, type, param, code } }`, so that the official `openai` clients (and
 * LangChain, LlamaIndex, … on top of them) embed texts and images with this service unchanged.
 *
 * - Images: Infinity's `modality: 'image'` or Jina's `{ image }` items (fields.ts), base64 or data
 *   URLs only; URLs are refused (no fetching on a caller's behalf).
 * - `encoding_format: 'base64'` is the little-endian float32 bytes of each vector, as OpenAI sends
 *   them (the `openai` JS client asks for it by default and decodes it).
 * - `dimensions`: only the model's own. CLIP was not trained with a Matryoshka loss, so the first k
 *   coordinates of its embedding, renormalised, do not keep its similarities; refusing is honest.
 * - `usage` counts 0 tokens: the service does not meter tokens (the SDK does not report them).
 * - Errors: a request in this shape gets OpenAI's error envelope, with the status codes OpenAI uses
 *   (400 for every input error the service answers with 415 or 422) and the service's own `code`
 *   (`invalid_input`, `not_found`, `image_too_large`, …), converted from the problem+json the
 *   service's one error handler made; the X-Request-Id header stays. Failures before the route
 *   (401 without a key, 413, 408) are still problem+json: the app answers them before it knows
 *   the body's shape.
 */
import { z } from '@hono/zod-openapi';
import { DescryError, type Matrix } from 'descry';
import type { Context, MiddlewareHandler } from 'hono';
import { encodeBase64 } from 'hono/utils/encode';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ProblemDetails } from '../problem.js';
import {
  BackgroundSchema,
  DimensionsSchema,
  EmbeddingInputSchema,
  EncodingFormatSchema,
  ModalitySchema,
  type OpenAiInputItems,
  openAiInputItems,
} from '../request/fields.js';
import { namesModel } from './hugging-face.js';

/** The OpenAI-shaped request, before it is sorted into texts and images. */
const OpenAiEmbeddingsFields = z.object({
  model: z.string().min(1).openapi({ description: 'The served model: its id or the last part of it' }),
  input: EmbeddingInputSchema,
  encoding_format: EncodingFormatSchema.optional(),
  dimensions: DimensionsSchema.optional(),
  user: z.string().optional().openapi({ description: 'Accepted and ignored' }),
  modality: ModalitySchema.optional(),
  background: BackgroundSchema.optional(),
});

/** The request as the handler gets it: the reader's `images`/`texts`, plus OpenAI's options. */
export type OpenAiEmbeddingsRequest = Omit<z.infer<typeof OpenAiEmbeddingsFields>, 'input' | 'modality'> &
  OpenAiInputItems & { openai: true };

export const OpenAiEmbeddingsRequestSchema = OpenAiEmbeddingsFields.transform(
  ({ input, modality, ...options }, ctx): OpenAiEmbeddingsRequest => ({
    ...options,
    ...openAiInputItems(input, modality, ctx),
    openai: true,
  }),
).openapi('OpenAiEmbeddingsRequest', {
  description: 'OpenAI’s embeddings request; images with `modality: "image"` or `{ image }` items',
});

export const OpenAiEmbeddingsResponseSchema = z
  .object({
    object: z.literal('list'),
    data: z.array(
      z.object({
        object: z.literal('embedding'),
        index: z.number().int(),
        embedding: z.union([z.array(z.number()), z.string()]).openapi({
          description: 'Numbers, or with `encoding_format: "base64"` the little-endian float32 bytes',
        }),
      }),
    ),
    model: z.string(),
    usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
  })
  .openapi('OpenAiEmbeddingsResponse');

export const OpenAiErrorSchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string().openapi({ example: 'invalid_request_error' }),
      param: z.string().nullable().openapi({ example: 'input' }),
      code: z.string().openapi({ example: 'invalid_input' }),
    }),
  })
  .openapi('OpenAiError');

/** Whether a JSON body is in OpenAI's shape (it has `input`); the service's own shape has `texts`/`images`. */
export function isOpenAiBody(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && 'input' in body;
}

/** Refuse a `model` that is not the served one, with the service's `not_found`. */
export function assertServedModel(model: string, id: string): void {
  if (!namesModel(model, id)) {
    throw new DescryError('not_found', `this service serves ${id}, not ${model}`, {
      details: { model, param: 'model' },
    });
  }
}

/** Refuse `dimensions` other than the model's own. */
export function assertDimensions(dimensions: number | undefined, dim: number | undefined): void {
  if (dimensions === undefined || dim === undefined || dimensions === dim) return;
  throw new DescryError(
    'invalid_input',
    `dimensions: this model's embeddings have ${dim} dimensions; CLIP-style embeddings cannot be shortened without changing their similarities`,
    { details: { dimensions: dim, param: 'dimensions' } },
  );
}

/** One vector as OpenAI sends it: numbers, or base64 of its little-endian float32 bytes. */
function encodeVector(row: Float32Array, format: 'float' | 'base64'): number[] | string {
  if (format === 'float') return Array.from(row);
  const bytes = new DataView(new ArrayBuffer(row.length * 4));
  for (let i = 0; i < row.length; i++) bytes.setFloat32(i * 4, row[i]!, true);
  return encodeBase64(bytes.buffer);
}

/** The answer for `request`, from the vectors of its images and texts. */
export function openAiEmbeddingsBody(
  request: OpenAiEmbeddingsRequest,
  vectors: { images: Matrix | undefined; texts: Matrix | undefined },
) {
  const format = request.encoding_format ?? 'float';
  const data = request.order.map(({ kind, at }, index) => {
    const matrix = (kind === 'image' ? vectors.images : vectors.texts)!;
    const row = matrix.data.subarray(at * matrix.cols, (at + 1) * matrix.cols);
    return { object: 'embedding' as const, index, embedding: encodeVector(row, format) };
  });
  return {
    object: 'list' as const,
    data,
    model: request.model,
    usage: { prompt_tokens: 0, total_tokens: 0 },
  };
}

/** OpenAI's status for the service's: every input error is 400, as OpenAI answers them. */
function openAiStatus(status: number): ContentfulStatusCode {
  return status === 415 || status === 422 ? 400 : (status as ContentfulStatusCode);
}

/** OpenAI's error `type` for a status. */
function openAiType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

/** The request field a problem is about, as OpenAI's `param` names it (the top-level field). */
function paramOf(problem: ProblemDetails): string | null {
  const details = problem.details as { param?: unknown } | undefined;
  if (typeof details?.param === 'string') return details.param;
  const field = Object.keys(problem.errors?.fieldErrors ?? {})[0];
  if (field !== undefined) return field;
  // Image errors, and counts over a limit, are about `input` (images come in no other field here).
  const aboutInput =
    problem.code.startsWith('image_') ||
    /^input\[\d+\]/.test(problem.detail) ||
    /\b(texts|images) in one request/.test(problem.detail);
  return aboutInput ? 'input' : null;
}

/** The OpenAI error envelope of a problem+json response. */
async function openAiError(problemResponse: Response): Promise<Response> {
  const problem = (await problemResponse.json()) as ProblemDetails;
  const status = openAiStatus(problem.status);
  const body = {
    error: {
      message: problem.detail,
      type: openAiType(problem.status),
      param: paramOf(problem),
      code: problem.code,
    },
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

/** The body of the request as JSON, or undefined when it is not JSON (the body is cached: read once). */
async function jsonBody(c: Context): Promise<unknown> {
  if (!/^application\/([\w.-]+\+)?json\b/i.test(c.req.header('Content-Type') ?? '')) return undefined;
  return c.req.json().catch(() => undefined);
}

/**
 * Route middleware: when the route failed on a request in OpenAI's shape, answer OpenAI's error
 * envelope instead of problem+json. It runs first, so it sees failures of admission (503
 * `overloaded`, with Retry-After), validation and the handler alike; the app's error handler has
 * already chosen the status, the code and what may be shown (5xx details are not).
 */
export const openAiErrors: MiddlewareHandler = async (c, next) => {
  await next();
  if (!c.error || !c.res.headers.get('Content-Type')?.startsWith('application/problem+json')) return;
  if (!isOpenAiBody(await jsonBody(c))) return;
  // Hono's `res` setter carries the old response's headers over (X-Request-Id, Retry-After).
  c.res = await openAiError(c.res);
};
