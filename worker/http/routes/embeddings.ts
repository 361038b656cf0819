/** POST /v1/embeddings: L2-normalised image and/or text vectors in the model's joint space. */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Matrix } from 'descry';
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
import { problemResponses } from '../schemas.js';
import { rejectInvalid } from '../validation-problem.js';

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
    security: [{ bearerAuth: [] }],
    middleware: [service.gate.admit] as const,
    request: {
      body: {
        required: false,
        content: {
          'application/json': { schema: EmbeddingsJsonSchema },
          'multipart/form-data': { schema: EmbeddingsFormSchema },
        },
      },
    },
    responses: {
      200: {
        description: 'Vectors in input order',
        content: { 'application/json': { schema: EmbeddingsResponseSchema } },
      },
      ...problemResponses(400, 401, 408, 413, 415, 422, 503),
    },
  });
  return new OpenAPIHono({ defaultHook: rejectInvalid }).openapi(route, async (c) => {
    const request = await readImageRequest(c, config.limits);
    await inference.assertBudget({ images: request.images, prompts: request.texts });
    const engine = await inference.engine();
    const run = inference.run(requestSignal(c), requestTimings(c));
    const imageVectors = request.images.length
      ? await engine.embedImages(
          request.images.map((image) => image.bytes),
          { ...run, background: request.background },
        )
      : undefined;
    const textVectors = request.texts.length ? await engine.embedTexts(request.texts, run) : undefined;
    const dim = imageVectors?.cols ?? textVectors?.cols ?? 0;
    return c.json(
      {
        model: engine.info.id,
        dim,
        ...(imageVectors ? { images: rows(imageVectors) } : {}),
        ...(textVectors ? { texts: rows(textVectors) } : {}),
      },
      200,
    );
  });
}
