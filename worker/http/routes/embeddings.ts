/**
 * POST /v1/embeddings: L2-normalised image and/or text vectors in the model's joint space, in two
 * request shapes told apart by the body: the service's own `{ texts, images, background }` (JSON or
 * multipart) and OpenAI's `{ model, input, … }` (./openai-embeddings.ts), each answered in its own
 * shape. Both go through the one request reader, admission and the SDK's embedImages/embedTexts.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Matrix } from 'descry';
import type { Context } from 'hono';
import type { Service } from '../../service/service.js';
import { requestSignal, requestTimings } from '../middleware/request-context.js';
import {
  BackgroundSchema,
  FormBackgroundSchema,
  formImages,
  jsonImages,
  TextSchema,
} from '../request/fields.js';
import { readImageRequest } from '../request/reader.js';
import { jsonOrFormBody, problemResponses } from '../schemas.js';
import { rejectInvalid, validationProblem } from '../validation-problem.js';
import {
  assertDimensions,
  assertServedModel,
  isOpenAiBody,
  type OpenAiEmbeddingsRequest,
  OpenAiEmbeddingsRequestSchema,
  OpenAiEmbeddingsResponseSchema,
  OpenAiErrorSchema,
  openAiEmbeddingsBody,
  openAiErrors,
} from './openai-embeddings.js';

const EmbeddingsJsonSchema = z
  .object({
    images: jsonImages.optional(),
    texts: z.array(TextSchema).min(1).optional(),
    background: BackgroundSchema.optional(),
  })
  .refine((body) => body.images !== undefined || body.texts !== undefined, {
    message: 'give images, texts or both',
    path: ['images'],
  })
  .openapi('EmbeddingsRequest');

const EmbeddingsFormSchema = z
  .object({
    image: formImages.optional(),
    text: z.union([TextSchema, z.array(TextSchema)]).optional(),
    background: FormBackgroundSchema.optional(),
  })
  .refine((body) => body.image !== undefined || body.text !== undefined, {
    message: 'give images, texts or both',
    path: ['image'],
  })
  .openapi('EmbeddingsForm');

const VectorsSchema = z.array(z.array(z.number()));

export const EmbeddingsResponseSchema = z
  .object({
    model: z.string(),
    dim: z.number().int(),
    images: VectorsSchema.optional(),
    texts: VectorsSchema.optional(),
  })
  .openapi('EmbeddingsResponse');

/** Either JSON shape; OpenAI's first (it needs `input`, which the service's own shape never has). */
const EmbeddingsBodySchema = z.union([OpenAiEmbeddingsRequestSchema, EmbeddingsJsonSchema]);

/**
 * Validation errors of the shape the body is in: a failed union would report both shapes' issues
 * at once, so the body is checked again against the one it meant.
 */
function rejectInvalidBody(result: { success: boolean; data?: unknown; error?: unknown; target?: string }) {
  if (!result.success && result.target === 'json') {
    const shape = isOpenAiBody(result.data) ? OpenAiEmbeddingsRequestSchema : EmbeddingsJsonSchema;
    const again = shape.safeParse(result.data);
    if (!again.success) throw validationProblem(again.error);
  }
  return rejectInvalid(result);
}

/** Both error forms of this route: problem+json, and OpenAI's envelope (as OpenAI's statuses) for OpenAI-shaped requests. */
function errorResponses(...statuses: number[]) {
  const responses: Record<number, { description: string; content: Record<string, { schema: z.ZodType }> }> =
    problemResponses(...statuses);
  for (const status of [400, 404, 503]) {
    const entry = responses[status];
    if (entry) entry.content = { ...entry.content, 'application/json': { schema: OpenAiErrorSchema } };
  }
  return responses;
}

function rows(matrix: Matrix): number[][] {
  return Array.from({ length: matrix.rows }, (_, r) =>
    Array.from(matrix.data.subarray(r * matrix.cols, (r + 1) * matrix.cols)),
  );
}

/** Routes of the embeddings endpoint. */
export function embeddingsRoutes(service: Service) {
  const { inference, config } = service;
  const route = createRoute({
    method: 'post',
    path: '/v1/embeddings',
    operationId: 'createEmbeddings',
    tags: ['embeddings'],
    summary: 'Embed images and/or texts',
    description:
      "Two JSON shapes: the service's own (`texts`, `images`, answered with `{ model, dim, images, texts }` and problem+json errors) and OpenAI's (`model`, `input`, answered with `{ object: 'list', data, model, usage }` and OpenAI's error envelope). Multipart takes the service's own fields.",
    security: [{ bearerAuth: [] }],
    middleware: [openAiErrors, service.gate.admit] as const,
    request: {
      body: jsonOrFormBody(EmbeddingsBodySchema, EmbeddingsFormSchema),
    },
    responses: {
      200: {
        description: 'Vectors in input order, in the shape of the request',
        content: {
          'application/json': {
            schema: z.union([EmbeddingsResponseSchema, OpenAiEmbeddingsResponseSchema]),
          },
        },
      },
      ...errorResponses(400, 401, 404, 408, 413, 415, 422, 503),
    },
  });
  /** The body's vectors: its images, then its texts, each a run of the SDK's use case. */
  async function embed(c: Context) {
    const request = await readImageRequest(c, config.limits);
    await inference.assertBudget({ images: request.images, texts: request.texts });
    const engine = await inference.engine();
    const openAi = openAiRequest(c);
    if (openAi) {
      assertServedModel(openAi.model, engine.info.id);
      assertDimensions(openAi.dimensions, engine.info.projectionDim);
    }
    const run = inference.run(requestSignal(c), requestTimings(c));
    const images = request.images.length
      ? await engine.embedImages(
          request.images.map((image) => image.bytes),
          { ...run, background: request.background },
        )
      : undefined;
    const texts = request.texts.length ? await engine.embedTexts(request.texts, run) : undefined;
    return { engine, openAi, images, texts };
  }
  return new OpenAPIHono({ defaultHook: rejectInvalid }).openapi(
    route,
    async (c) => {
      const { engine, openAi, images: imageVectors, texts: textVectors } = await embed(c);
      const dim = imageVectors?.cols ?? textVectors?.cols ?? 0;
      if (openAi) {
        assertDimensions(openAi.dimensions, dim);
        return c.json(openAiEmbeddingsBody(openAi, { images: imageVectors, texts: textVectors }), 200);
      }
      return c.json(
        {
          model: engine.info.id,
          dim,
          ...(imageVectors ? { images: rows(imageVectors) } : {}),
          ...(textVectors ? { texts: rows(textVectors) } : {}),
        },
        200,
      );
    },
    rejectInvalidBody,
  );
}

/** The validated OpenAI-shaped request, or undefined for the service's own shape. */
function openAiRequest(c: Context): OpenAiEmbeddingsRequest | undefined {
  if (!/json/i.test(c.req.header('Content-Type') ?? '')) return undefined;
  const body = (c.req.valid as (target: 'json') => unknown)('json');
  return typeof body === 'object' && body !== null && 'openai' in body
    ? (body as OpenAiEmbeddingsRequest)
    : undefined;
}
