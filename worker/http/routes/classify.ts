/** POST /v1/classify: rank labels (or a stored classifier's classes) for each image. */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { ClassificationResult, CompiledClassifier } from 'descry';
import type { ServiceDeps } from '../../service/deps.js';
import type { Inference } from '../../service/inference.js';
import type { MethodResources } from '../../service/method-resources.js';
import type { StoredClassifiers } from '../../service/stored-classifiers.js';
import {
  type ClassifyCommand,
  ClassifyFormSchema,
  ClassifyJsonSchema,
  classifyCommandFromForm,
  classifyCommandFromJson,
} from '../request/classify-input.js';
import { bodyEncoding } from '../request/media-type.js';
import { DegradationSchema, MethodSchema, PredictionSchema, problemResponses } from '../schemas.js';
import { rejectInvalid } from '../validation-problem.js';

export const ClassifyResponseSchema = z
  .object({
    model: z.string(),
    method: MethodSchema,
    results: z.array(
      z.object({ predictions: z.array(PredictionSchema), degraded: DegradationSchema.optional() }),
    ),
    degraded: DegradationSchema.optional(),
    timings_ms: z
      .object({
        prepare: z.number().openapi({ description: 'Model load, classifier lookup, label encoding' }),
        inference: z.number().openapi({ description: 'Image decoding, vision encoder, scoring' }),
        total: z.number(),
      })
      .openapi({ description: 'Milliseconds; coarse in Workers, whose clock advances only on I/O' }),
  })
  .openapi('ClassifyResponse');

export type ClassifyResponse = z.infer<typeof ClassifyResponseSchema>;

const route = createRoute({
  method: 'post',
  path: '/v1/classify',
  operationId: 'classify',
  tags: ['classification'],
  summary: 'Classify images against labels or a stored classifier',
  security: [{ bearerAuth: [] }],
  request: {
    body: {
      required: false,
      description: 'JSON with base64 images, or multipart with `image` files',
      content: {
        'application/json': { schema: ClassifyJsonSchema },
        'multipart/form-data': { schema: ClassifyFormSchema },
      },
    },
  },
  responses: {
    200: {
      description: 'One result per image, predictions sorted by score',
      content: { 'application/json': { schema: ClassifyResponseSchema } },
    },
    ...problemResponses(400, 401, 404, 409, 413, 415, 422, 503),
  },
});

/** Shape SDK results for the wire: drop logits, keep the order by score. */
export function wireResults(results: ClassificationResult[]): ClassifyResponse['results'] {
  return results.map((result) => ({
    predictions: [...result.predictions]
      .sort((a, b) => b.score - a.score)
      .map(({ label, score, cosine, evidence }) => ({
        label,
        score,
        cosine,
        ...(evidence ? { evidence } : {}),
      })),
    ...(result.degraded ? { degraded: result.degraded } : {}),
  }));
}

/** Routes of the classify endpoint. */
export function classifyRoutes(
  deps: ServiceDeps,
  inference: Inference,
  classifiers: StoredClassifiers,
  resources: MethodResources,
) {
  return new OpenAPIHono({ defaultHook: rejectInvalid }).openapi(route, async (c) => {
    const started = performance.now();
    const limits = deps.config.limits;
    const signal = c.req.raw.signal;
    const command: ClassifyCommand =
      bodyEncoding(c) === 'json'
        ? classifyCommandFromJson(c.req.valid('json') as z.infer<typeof ClassifyJsonSchema>, limits)
        : await classifyCommandFromForm(c.req.valid('form') as z.infer<typeof ClassifyFormSchema>, limits);
    const classifier: CompiledClassifier =
      command.classifier === undefined
        ? await inference.compile(
            {
              labels: command.labels ?? [],
              ...(command.templates ? { templates: command.templates } : {}),
              ...(command.descriptors ? { descriptors: command.descriptors } : {}),
            },
            signal,
          )
        : (await classifiers.get(command.classifier, deps.engine)).classifier;
    const engine = await inference.engine();
    const prepared = performance.now();
    const extra = await resources.optionsFor(command.method, command.classifier, classifier, signal);
    const embeddings = await inference.embedImages(command.images, {
      background: command.background,
      signal,
    });
    const results = await engine.classifyEmbeddings(embeddings, classifier, {
      method: command.method,
      ...(command.topK ? { topK: command.topK } : {}),
      signal,
      ...extra,
    });
    const done = performance.now();
    const wire = wireResults(results);
    const degraded = wire.find((result) => result.degraded)?.degraded;
    return c.json(
      {
        model: engine.info.id,
        method: command.method,
        results: wire,
        ...(degraded ? { degraded } : {}),
        timings_ms: {
          prepare: round(prepared - started),
          inference: round(done - prepared),
          total: round(done - started),
        },
      },
      200,
    );
  });
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
