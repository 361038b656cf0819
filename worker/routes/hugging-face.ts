/**
 * POST /models/{model}: the Hugging Face Inference API's zero-shot-image-classification task,
 * so clients written for it work unchanged against this service.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { DescryError } from 'descry';
import { assertRequestLimits } from '../classify-input.js';
import { assertPixelLimit, bytesOfEncodedImage } from '../request-images.js';
import { EncodedImageSchema, LabelSchema, problemResponses } from '../schemas.js';
import type { ServiceDeps } from '../service-deps.js';
import { rejectInvalid } from '../validation-problem.js';

const HfRequestSchema = z
  .object({
    inputs: EncodedImageSchema,
    parameters: z.object({
      candidate_labels: z.union([z.array(LabelSchema).min(1), z.string().min(1)]),
      hypothesis_template: z
        .string()
        .min(1)
        .max(300)
        .refine((t) => t.includes('{}'), 'the template must contain {}')
        .optional(),
    }),
  })
  .openapi('HfZeroShotImageClassificationRequest');

const HfResponseSchema = z
  .array(z.object({ label: z.string(), score: z.number() }))
  .openapi('HfZeroShotImageClassificationResponse');

const route = createRoute({
  method: 'post',
  path: '/models/{model}',
  tags: ['hugging-face'],
  summary: 'Hugging Face zero-shot-image-classification task',
  security: [{ bearerAuth: [] }],
  request: {
    params: z.object({
      model: z
        .string()
        .min(1)
        .openapi({ param: { name: 'model', in: 'path' }, example: 'emoji-clip' }),
    }),
    body: { required: true, content: { 'application/json': { schema: HfRequestSchema } } },
  },
  responses: {
    200: {
      description: 'Labels sorted by score',
      content: { 'application/json': { schema: HfResponseSchema } },
    },
    ...problemResponses(400, 401, 404, 413, 415, 422, 503),
  },
});

/** Whether a model name in a URL names the loaded model (full id or its last path segment). */
function namesModel(name: string, id: string): boolean {
  const decoded = decodeURIComponent(name);
  const last = id.split('/').filter(Boolean).pop() ?? id;
  return decoded === id || decoded === last;
}

/** Routes of the Hugging Face compatible endpoint. */
export function huggingFaceRoutes(deps: ServiceDeps) {
  return new OpenAPIHono({ defaultHook: rejectInvalid }).openapi(route, async (c) => {
    const { model } = c.req.valid('param');
    const { inputs, parameters } = c.req.valid('json');
    const labels =
      typeof parameters.candidate_labels === 'string'
        ? parameters.candidate_labels
            .split(',')
            .map((label) => label.trim())
            .filter(Boolean)
        : parameters.candidate_labels;
    assertRequestLimits(deps.config.limits, { images: 1, labels: labels.length });
    const image = bytesOfEncodedImage(inputs, 'inputs');
    assertPixelLimit(image, deps.config.limits.maxImagePixels, 'inputs');
    const engine = await deps.engine();
    if (!namesModel(model, engine.info.id)) {
      throw new DescryError('not_found', `this service serves ${engine.info.id}, not ${model}`, {
        details: { model },
      });
    }
    const [result] = await engine.classify([image], labels, {
      method: 'zeroshot',
      ...(parameters.hypothesis_template ? { templates: [parameters.hypothesis_template] } : {}),
    });
    const predictions = [...(result?.predictions ?? [])].sort((a, b) => b.score - a.score);
    return c.json(
      predictions.map(({ label, score }) => ({ label, score })),
      200,
    );
  });
}
