/**
 * POST /v1/classifiers/{id}/adapt: add unlabelled images to the classifier's TFUP cache. The
 * cache is updated by compare-and-swap with retries, each attempt for the classifier stored at
 * that moment (service/adaptations.ts), so concurrent calls never lose images and a replace racing
 * with them never leaves a cache for the old labels.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Service } from '../../service/service.js';
import { requestSignal, requestTimings } from '../middleware/request-context.js';
import {
  BackgroundSchema,
  ClassifierIdSchema,
  FormBackgroundSchema,
  formImages,
  jsonImages,
} from '../request/fields.js';
import { readImageRequest } from '../request/reader.js';
import { jsonOrFormBody, problemResponses } from '../schemas.js';
import { rejectInvalid } from '../validation-problem.js';

const AdaptJsonSchema = z
  .object({ images: jsonImages, background: BackgroundSchema.optional() })
  .openapi('AdaptRequest');
const AdaptFormSchema = z
  .object({ image: formImages, background: FormBackgroundSchema.optional() })
  .openapi('AdaptForm');

export const AdaptResponseSchema = z
  .object({
    id: z.string(),
    added: z.number().int().openapi({ description: 'Images added by this call' }),
    size: z.number().int().openapi({ description: 'Images in the cache now' }),
    attempts: z.number().int().openapi({ description: 'Compare-and-swap attempts this call needed' }),
  })
  .openapi('AdaptResponse');

/** Routes of the adaptation endpoint. */
export function adaptRoutes(service: Service) {
  const { inference, classifiers, resources, config } = service;
  const route = createRoute({
    method: 'post',
    path: '/v1/classifiers/{id}/adapt',
    operationId: 'adaptClassifier',
    tags: ['classifiers'],
    summary: 'Add unlabelled images to the TFUP cache of a classifier',
    security: [{ bearerAuth: [] }],
    middleware: [service.gate.admit] as const,
    request: {
      params: z.object({ id: ClassifierIdSchema }),
      body: jsonOrFormBody(AdaptJsonSchema, AdaptFormSchema),
    },
    responses: {
      200: {
        description: 'The cache after the update',
        content: { 'application/json': { schema: AdaptResponseSchema } },
      },
      ...problemResponses(400, 401, 404, 408, 409, 413, 415, 422, 503),
    },
  });
  return new OpenAPIHono({ defaultHook: rejectInvalid }).openapi(route, async (c) => {
    const { id } = c.req.valid('param');
    const request = await readImageRequest(c, config.limits);
    // An unknown id is answered before any image is decoded.
    await classifiers.get(id);
    await inference.assertBudget({ images: request.images });
    const engine = await inference.engine();
    const features = await engine.embedImages(
      request.images.map((image) => image.bytes),
      { ...inference.run(requestSignal(c), requestTimings(c)), background: request.background },
    );
    const outcome = await resources.adaptations.add(
      id,
      features,
      async () => (await classifiers.get(id)).classifier,
    );
    return c.json({ id, added: request.images.length, size: outcome.size, attempts: outcome.attempts }, 200);
  });
}
