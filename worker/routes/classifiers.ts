/** PUT, GET, DELETE /v1/classifiers/{id}: compiled label sets stored for reuse by id. */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { CompiledClassifier } from 'descry';
import { DescryError } from 'descry';
import { assertRequestLimits } from '../classify-input.js';
import type { MethodResources } from '../method-resources.js';
import {
  ClassifierIdSchema,
  DescriptorsSchema,
  LabelSchema,
  problemResponses,
  TemplateSchema,
} from '../schemas.js';
import type { ServiceDeps } from '../service-deps.js';
import type { StoredClassifiers } from '../stored-classifiers.js';
import { rejectInvalid } from '../validation-problem.js';

export const ClassifierSpecSchema = z
  .object({
    labels: z
      .array(LabelSchema)
      .min(1)
      .openapi({ example: ['cat', 'dog', 'pizza'] }),
    templates: z.array(TemplateSchema).min(1).max(32).optional(),
    descriptors: DescriptorsSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    for (const label of Object.keys(spec.descriptors ?? {})) {
      if (!spec.labels.includes(label)) {
        ctx.addIssue({ code: 'custom', path: ['descriptors', label], message: 'not one of the labels' });
      }
    }
  })
  .openapi('ClassifierSpec');

export const ClassifierInfoSchema = z
  .object({
    id: z.string(),
    model: z.string(),
    fingerprint: z.string(),
    labels: z.array(z.string()),
    templates: z.array(z.string()),
    descriptors: z.record(z.string(), z.array(z.string())).optional(),
    created: z.string(),
  })
  .openapi('Classifier');

const params = z.object({ id: ClassifierIdSchema });

const putRoute = createRoute({
  method: 'put',
  path: '/v1/classifiers/{id}',
  operationId: 'putClassifier',
  tags: ['classifiers'],
  summary: 'Compile a label set and store it under an id',
  security: [{ bearerAuth: [] }],
  request: {
    params,
    body: { required: true, content: { 'application/json': { schema: ClassifierSpecSchema } } },
  },
  responses: {
    200: { description: 'Replaced', content: { 'application/json': { schema: ClassifierInfoSchema } } },
    201: { description: 'Created', content: { 'application/json': { schema: ClassifierInfoSchema } } },
    ...problemResponses(400, 401, 413, 415, 422, 503),
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
  return {
    id,
    model: classifier.model,
    fingerprint: classifier.fingerprint,
    labels: [...classifier.labels],
    templates: [...classifier.templates],
    ...(descriptors ? { descriptors } : {}),
    created: classifier.created,
  };
}

/** Routes of the classifier collection. */
export function classifierRoutes(
  deps: ServiceDeps,
  classifiers: StoredClassifiers,
  resources: MethodResources,
) {
  return new OpenAPIHono({ defaultHook: rejectInvalid })
    .openapi(putRoute, async (c) => {
      const { id } = c.req.valid('param');
      const spec = c.req.valid('json');
      assertRequestLimits(deps.config.limits, { images: 0, labels: spec.labels.length });
      const engine = await deps.engine();
      const existed = await classifiers.has(id);
      const classifier = await engine.compile(spec);
      await classifiers.put(id, classifier);
      // A new label set invalidates what was learnt or generated for the old one.
      if (existed) await resources.forget(id);
      return c.json(classifierInfo(id, classifier), existed ? 200 : 201);
    })
    .openapi(getRoute, async (c) => {
      const { id } = c.req.valid('param');
      const { classifier } = await classifiers.get(id, deps.engine);
      return c.json(classifierInfo(id, classifier), 200);
    })
    .openapi(deleteRoute, async (c) => {
      const { id } = c.req.valid('param');
      if (!(await classifiers.has(id))) {
        throw new DescryError('not_found', `no classifier with id "${id}"`, { details: { id } });
      }
      await classifiers.delete(id);
      await resources.forget(id);
      return c.body(null, 204);
    });
}
