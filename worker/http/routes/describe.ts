/**
 * POST /v1/classifiers/{id}/describe: ask the configured LLM for visual descriptors of each
 * label and for FuDD pair descriptions, cache them, and recompile the classifier with them.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { promptsOf } from 'descry';
import type { Service } from '../../service/service.js';
import { requestSignal, requestTimings } from '../middleware/request-context.js';
import { ClassifierIdSchema } from '../request/fields.js';
import { problemResponses } from '../schemas.js';
import { rejectInvalid } from '../validation-problem.js';
import { ClassifierInfoSchema, classifierInfo } from './classifiers.js';

const DescribeQuerySchema = z.object({
  refresh: z
    .enum(['0', '1'])
    .optional()
    .openapi({ description: '1: ignore cached descriptions and ask the LLM again' }),
});

export const DescribeResponseSchema = z
  .object({
    classifier: ClassifierInfoSchema,
    pairs: z.number().int().openapi({ description: 'Label pairs with FuDD descriptions in the cache' }),
    cached: z.boolean().openapi({ description: 'Whether the descriptors came from the cache' }),
  })
  .openapi('DescribeResponse');

const route = createRoute({
  method: 'post',
  path: '/v1/classifiers/{id}/describe',
  operationId: 'describeClassifier',
  tags: ['classifiers'],
  summary: 'Generate descriptors and FuDD pair descriptions with the LLM',
  security: [{ bearerAuth: [] }],
  request: {
    params: z.object({ id: ClassifierIdSchema }),
    query: DescribeQuerySchema,
  },
  responses: {
    200: {
      description: 'The recompiled classifier',
      content: { 'application/json': { schema: DescribeResponseSchema } },
    },
    ...problemResponses(400, 401, 404, 409, 413, 415, 422, 502, 503, 504),
  },
});

/** Routes of the describe endpoint. */
export function describeRoutes(service: Service) {
  const { inference, classifiers, resources } = service;
  return new OpenAPIHono({ defaultHook: rejectInvalid }).openapi(
    { ...route, middleware: [service.gate.admit] as const },
    async (c) => {
      const { id } = c.req.valid('param');
      const { refresh } = c.req.valid('query');
      const signal = requestSignal(c);
      const { classifier } = await classifiers.get(id);
      const described = await resources.describe(classifier, { refresh: refresh === '1', signal });
      const spec = {
        labels: classifier.labels,
        templates: classifier.templates,
        descriptors: described.descriptors,
      };
      await inference.assertBudget({ prompts: promptsOf(spec) });
      const engine = await inference.engine();
      const compiled = await engine.compile(spec, inference.run(signal, requestTimings(c)));
      const { classifier: recompiled } = await classifiers.put(id, compiled);
      await resources.adaptations.reconcile(id, recompiled, { created: false });
      return c.json(
        { classifier: classifierInfo(id, recompiled), pairs: described.pairs, cached: described.cached },
        200,
      );
    },
  );
}
