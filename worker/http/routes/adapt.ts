/**
 * POST /v1/classifiers/{id}/adapt: add unlabelled images to the classifier's TFUP cache. The
 * cache is updated by compare-and-swap with retries, each attempt for the classifier stored at
 * that moment (adaptations.ts), so concurrent calls never lose images and a replace racing with
 * them never leaves a cache for the old labels.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { ServiceDeps } from '../../service/deps.js';
import type { Inference } from '../../service/inference.js';
import type { MethodResources } from '../../service/method-resources.js';
import type { StoredClassifiers } from '../../service/stored-classifiers.js';
import { assertRequestLimits } from '../request/classify-input.js';
import { bytesOfEncodedImage, bytesOfUpload, type RequestImage } from '../request/images.js';
import { bodyEncoding } from '../request/media-type.js';
import {
  BackgroundSchema,
  backgroundOption,
  ClassifierIdSchema,
  EncodedImageSchema,
  problemResponses,
  UploadSchema,
} from '../schemas.js';
import { rejectInvalid } from '../validation-problem.js';

const AdaptJsonSchema = z
  .object({ images: z.array(EncodedImageSchema).min(1), background: BackgroundSchema.optional() })
  .openapi('AdaptRequest');
const AdaptFormSchema = z
  .object({ image: z.union([UploadSchema, z.array(UploadSchema)]), background: BackgroundSchema.optional() })
  .openapi('AdaptForm');

export const AdaptResponseSchema = z
  .object({
    id: z.string(),
    added: z.number().int().openapi({ description: 'Images added by this call' }),
    size: z.number().int().openapi({ description: 'Images in the cache now' }),
    attempts: z.number().int().openapi({ description: 'Compare-and-swap attempts this call needed' }),
  })
  .openapi('AdaptResponse');

const route = createRoute({
  method: 'post',
  path: '/v1/classifiers/{id}/adapt',
  operationId: 'adaptClassifier',
  tags: ['classifiers'],
  summary: 'Add unlabelled images to the TFUP cache of a classifier',
  security: [{ bearerAuth: [] }],
  request: {
    params: z.object({ id: ClassifierIdSchema }),
    body: {
      required: false,
      content: {
        'application/json': { schema: AdaptJsonSchema },
        'multipart/form-data': { schema: AdaptFormSchema },
      },
    },
  },
  responses: {
    200: {
      description: 'The cache after the update',
      content: { 'application/json': { schema: AdaptResponseSchema } },
    },
    ...problemResponses(400, 401, 404, 409, 413, 415, 422, 503),
  },
});

/** Routes of the adaptation endpoint. */
export function adaptRoutes(
  deps: ServiceDeps,
  inference: Inference,
  classifiers: StoredClassifiers,
  resources: MethodResources,
) {
  return new OpenAPIHono({ defaultHook: rejectInvalid }).openapi(route, async (c) => {
    const { id } = c.req.valid('param');
    const limits = deps.config.limits;
    let images: RequestImage[];
    let background: string | undefined;
    if (bodyEncoding(c) === 'json') {
      const body = c.req.valid('json') as z.infer<typeof AdaptJsonSchema>;
      assertRequestLimits(limits, { images: body.images.length });
      images = body.images.map((image, i) => {
        const field = `images[${i}]`;
        return { bytes: bytesOfEncodedImage(image, field), field };
      });
      background = body.background;
    } else {
      const form = c.req.valid('form') as z.infer<typeof AdaptFormSchema>;
      const files = Array.isArray(form.image) ? form.image : [form.image];
      assertRequestLimits(limits, { images: files.length });
      images = await Promise.all(
        files.map(async (file, i) => {
          const field = `image[${i}]`;
          return { bytes: await bytesOfUpload(file, field), field };
        }),
      );
      background = form.background;
    }
    // An unknown id is answered before any image is decoded.
    await classifiers.get(id, deps.engine);
    const features = await inference.embedImages(images, {
      background: backgroundOption(background),
      signal: c.req.raw.signal,
    });
    const outcome = await resources.adaptations.add(
      id,
      features,
      async () => (await classifiers.get(id, deps.engine)).classifier,
    );
    return c.json({ id, added: images.length, size: outcome.size, attempts: outcome.attempts }, 200);
  });
}
