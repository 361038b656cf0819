/** POST /v1/classify: rank labels (or a stored classifier's classes) for each image. */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { CompiledClassifier } from 'descry';
import type { Service } from '../../service/service.js';
import { requestSignal, requestTimings } from '../middleware/request-context.js';
import {
  exactlyOneTarget,
  formImages,
  formTargetFields,
  jsonImages,
  MethodSchema,
  targetFields,
} from '../request/fields.js';
import { readImageRequest } from '../request/reader.js';
import {
  DegradationSchema,
  jsonOrFormBody,
  LabelSetSchema,
  PredictionSchema,
  problemResponses,
} from '../schemas.js';
import { rejectInvalid } from '../validation-problem.js';
import { roundMs, wireResults } from '../wire.js';

export const ClassifyResponseSchema = z
  .object({
    model: z.string(),
    method: MethodSchema,
    results: z.array(
      z.object({
        predictions: z.array(PredictionSchema),
        degraded: DegradationSchema.optional(),
        set: LabelSetSchema.optional(),
      }),
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

/** JSON body of POST /v1/classify. */
export const ClassifyJsonSchema = z
  .object({ images: jsonImages, ...targetFields })
  .superRefine(exactlyOneTarget)
  .openapi('ClassifyRequest');

/** Multipart body of POST /v1/classify. */
export const ClassifyFormSchema = z
  .object({ image: formImages, ...formTargetFields })
  .superRefine(exactlyOneTarget)
  .openapi('ClassifyForm');

/** Routes of the classify endpoint. */
export function classifyRoutes(service: Service) {
  const { inference, classifiers, resources, config } = service;
  const route = createRoute({
    method: 'post',
    path: '/v1/classify',
    operationId: 'classify',
    tags: ['classification'],
    summary: 'Classify images against labels or a stored classifier',
    security: [{ bearerAuth: [] }],
    middleware: [service.gate.admit] as const,
    request: {
      body: jsonOrFormBody(
        ClassifyJsonSchema,
        ClassifyFormSchema,
        'JSON with base64 images, or multipart with `image` files',
      ),
    },
    responses: {
      200: {
        description: 'One result per image, predictions best first',
        content: { 'application/json': { schema: ClassifyResponseSchema } },
      },
      ...problemResponses(400, 401, 404, 408, 409, 413, 415, 422, 503),
    },
  });
  return new OpenAPIHono({ defaultHook: rejectInvalid }).openapi(route, async (c) => {
    const started = performance.now();
    const request = await readImageRequest(c, config.limits);
    const signal = requestSignal(c);
    // A stored classifier is read before the engine loads: an unknown id costs no model load.
    const stored =
      request.classifier === undefined
        ? undefined
        : { id: request.classifier, classifier: (await classifiers.get(request.classifier)).classifier };
    const target: readonly string[] | CompiledClassifier = stored?.classifier ?? request.labels ?? [];
    // The label set's text, as the budget counts it and the SDK compiles it.
    const text = {
      ...(request.templates ? { templates: request.templates } : {}),
      ...(request.descriptors ? { descriptors: request.descriptors } : {}),
      ...(request.subclasses ? { subclasses: request.subclasses } : {}),
    };
    await inference.assertBudget({
      images: request.images,
      spec: request.labels && { labels: request.labels, ...text },
    });
    const engine = await inference.engine();
    const methodOptions = await resources.optionsFor(request.method, stored, signal);
    const timings = requestTimings(c);
    const results = await engine.classify(
      request.images.map((image) => image.bytes),
      target,
      {
        method: request.method,
        ...(request.topK ? { topK: request.topK } : {}),
        ...text,
        ...(request.maxSetSize ? { maxSetSize: request.maxSetSize } : {}),
        background: request.background,
        ...methodOptions,
        ...inference.run(signal, timings),
      },
    );
    const done = performance.now();
    const prepared = timings.firstImageUnit ?? started;
    const wire = wireResults(results);
    const degraded = wire.find((result) => result.degraded)?.degraded;
    return c.json(
      {
        model: engine.info.id,
        method: request.method,
        results: wire,
        ...(degraded ? { degraded } : {}),
        timings_ms: {
          prepare: roundMs(prepared - started),
          inference: roundMs(done - prepared),
          total: roundMs(done - started),
        },
      },
      200,
    );
  });
}
