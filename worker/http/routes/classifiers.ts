/** PUT, GET, DELETE /v1/classifiers/{id}: compiled label sets stored for reuse by id. */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { ClassifierCalibration, CompiledClassifier } from 'descry';
import { DescryError } from 'descry';
import type { Service } from '../../service/service.js';
import { noteWorkload, requestSignal, requestTimings } from '../middleware/request-context.js';
import {
  ClassifierIdSchema,
  DescriptorsSchema,
  LabelsSchema,
  MethodSchema,
  onlyLabelKeys,
  SubclassesSchema,
  TemplatesSchema,
} from '../request/fields.js';
import { assertRequestLimits } from '../request/reader.js';
import { problemResponses } from '../schemas.js';
import { rejectInvalid } from '../validation-problem.js';

export const ClassifierSpecSchema = z
  .object({
    labels: LabelsSchema,
    templates: TemplatesSchema.optional(),
    descriptors: DescriptorsSchema.optional(),
    subclasses: SubclassesSchema.optional(),
  })
  .superRefine(onlyLabelKeys)
  .openapi('ClassifierSpec');

/** What a stored classifier's conformal calibration holds for, and its threshold. */
export const CalibrationInfoSchema = z
  .object({
    alpha: z.number(),
    method: MethodSchema.openapi({ description: 'The classification method whose scores were calibrated' }),
    aggregation: z.enum(['mean', 'max', 'sum']).optional(),
    reweight: z.boolean().optional(),
    include_label: z.boolean().optional(),
    score: z.enum(['lac', 'aps', 'raps']).openapi({ description: 'Nonconformity score' }),
    threshold: z
      .number()
      .openapi({ description: 'q̂: labels whose nonconformity is at most this are in the set' }),
    images: z.number().int().openapi({ description: 'Calibration images' }),
    none_of_these: z
      .object({ measure: z.enum(['score', 'cosine', 'margin']), below: z.number() })
      .optional()
      .openapi({
        description: 'Abstain (reason none_of_these) for images whose confidence is below `below`',
      }),
    created: z.string(),
  })
  .openapi('Calibration');

const AdaptationStateSchema = z
  .object({
    images: z.number().int().openapi({ description: 'Unlabelled images retained in the cache' }),
    keys_per_class: z
      .number()
      .int()
      .openapi({ description: 'Prototype images per class that TFUP scores with' }),
    updated: z.string().nullable().openapi({ description: 'When the cache last changed (ISO 8601)' }),
    current: z.boolean().openapi({
      description:
        'False while the cache is built for an earlier version of the classifier: it is not used, and the next adapt rebuilds it from its images',
    }),
  })
  .openapi('AdaptationState');

export const ClassifierInfoSchema = z
  .object({
    id: z.string(),
    model: z.string(),
    fingerprint: z.string(),
    labels: z.array(z.string()),
    templates: z.array(z.string()),
    descriptors: z.record(z.string(), z.array(z.string())).optional(),
    subclasses: z.record(z.string(), z.array(z.string())).optional(),
    calibration: CalibrationInfoSchema.optional(),
    created: z.string(),
    adaptation: AdaptationStateSchema.nullable()
      .optional()
      .openapi({ description: 'The TFUP cache (GET only): null when the classifier was never adapted' }),
  })
  .openapi('Classifier');

const params = z.object({ id: ClassifierIdSchema });

const putRoute = createRoute({
  method: 'put',
  path: '/v1/classifiers/{id}',
  operationId: 'putClassifier',
  tags: ['classifiers'],
  summary: 'Compile a label set (with descriptors and subclasses) and store it under an id',
  security: [{ bearerAuth: [] }],
  request: {
    params,
    body: { required: true, content: { 'application/json': { schema: ClassifierSpecSchema } } },
  },
  responses: {
    200: { description: 'Replaced', content: { 'application/json': { schema: ClassifierInfoSchema } } },
    201: { description: 'Created', content: { 'application/json': { schema: ClassifierInfoSchema } } },
    ...problemResponses(400, 401, 408, 413, 415, 422, 503),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/classifiers/{id}',
  operationId: 'getClassifier',
  tags: ['classifiers'],
  summary: 'Describe a stored classifier',
  security: [{ bearerAuth: [] }],
  request: { params },
  responses: {
    200: { description: 'The classifier', content: { 'application/json': { schema: ClassifierInfoSchema } } },
    ...problemResponses(401, 404, 409, 422, 503),
  },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/v1/classifiers/{id}',
  operationId: 'deleteClassifier',
  tags: ['classifiers'],
  summary: 'Delete a classifier and its adaptation cache',
  security: [{ bearerAuth: [] }],
  request: { params },
  responses: {
    204: { description: 'Deleted' },
    ...problemResponses(401, 404, 422, 503),
  },
});

/** The public description of a compiled classifier. */
export function classifierInfo(
  id: string,
  classifier: CompiledClassifier,
): z.infer<typeof ClassifierInfoSchema> {
  const descriptors = classifier.descriptorMap;
  const subclasses = classifier.subclassMap;
  const calibration = classifier.calibration;
  return {
    id,
    model: classifier.model,
    fingerprint: classifier.fingerprint,
    labels: [...classifier.labels],
    templates: [...classifier.templates],
    ...(descriptors ? { descriptors } : {}),
    ...(subclasses ? { subclasses } : {}),
    ...(calibration ? { calibration: calibrationInfo(calibration) } : {}),
    created: classifier.created,
  };
}

/** A calibration on the wire. */
function calibrationInfo(c: ClassifierCalibration): z.infer<typeof CalibrationInfoSchema> {
  const p = c.predictor;
  return {
    alpha: c.alpha,
    method: p.method,
    ...(p.method === 'descriptions' ? { aggregation: p.aggregation } : {}),
    ...(p.method === 'subclasses' ? { reweight: p.reweight, include_label: p.includeLabel } : {}),
    score: c.method,
    threshold: c.threshold,
    images: c.n,
    ...(c.noneOfThese
      ? { none_of_these: { measure: c.noneOfThese.measure, below: c.noneOfThese.below } }
      : {}),
    created: c.created,
  };
}

/** Routes of the classifier collection. */
export function classifierRoutes(service: Service) {
  const { inference, classifiers, resources, config } = service;
  return new OpenAPIHono({ defaultHook: rejectInvalid })
    .openapi({ ...putRoute, middleware: [service.gate.admit] as const }, async (c) => {
      const { id } = c.req.valid('param');
      const spec = c.req.valid('json');
      assertRequestLimits(config.limits, { labels: spec.labels.length });
      // Replacing a classifier drops its calibration: it held for the old classifier's scores.
      const existed = await classifiers.has(id);
      noteWorkload(c, { labels: spec.labels.length });
      await inference.assertBudget({ spec });
      const engine = await inference.engine();
      const compiled = await engine.compile(spec, inference.run(requestSignal(c), requestTimings(c)));
      const { classifier } = await classifiers.put(id, compiled);
      // What was adapted for the old labels is rebuilt for the new ones (service/adaptations.ts).
      await resources.adaptations.reconcile(id, classifier, { created: !existed });
      return c.json(classifierInfo(id, classifier), existed ? 200 : 201);
    })
    .openapi(getRoute, async (c) => {
      const { id } = c.req.valid('param');
      const { classifier } = await classifiers.get(id);
      const state = await resources.adaptations.state(id, classifier);
      const adaptation = state && {
        images: state.images,
        keys_per_class: state.keysPerClass,
        updated: state.updated,
        current: state.current,
      };
      return c.json({ ...classifierInfo(id, classifier), adaptation }, 200);
    })
    .openapi(deleteRoute, async (c) => {
      const { id } = c.req.valid('param');
      if (!(await classifiers.has(id))) {
        throw new DescryError('not_found', `no classifier with id "${id}"`, { details: { id } });
      }
      await classifiers.delete(id);
      await resources.adaptations.delete(id);
      return c.body(null, 204);
    });
}
