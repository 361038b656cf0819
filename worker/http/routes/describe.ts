/**
 * POST /v1/classifiers/{id}/describe: ask the configured LLM for what the richer methods need, cache
 * it, and recompile the classifier with it: visual descriptors of each label and FuDD pair
 * descriptions (`generate=descriptors`, the default), and/or subclasses of each label for method
 * 'subclasses' (`generate=subclasses`; CHiLS's prompt, names two labels claim dropped). What is
 * not generated is kept from the stored classifier, and so is its calibration when the scores it
 * holds for did not change.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { ClassifierSpec, CompiledClassifier } from 'descry';
import type { Service } from '../../service/service.js';
import { requestSignal, requestTimings } from '../middleware/request-context.js';
import { ClassifierIdSchema } from '../request/fields.js';
import { problemResponses } from '../schemas.js';
import { rejectInvalid } from '../validation-problem.js';
import { ClassifierInfoSchema, classifierInfo } from './classifiers.js';

const KINDS = ['descriptors', 'subclasses'] as const;

const DescribeQuerySchema = z.object({
  refresh: z
    .enum(['0', '1'])
    .optional()
    .openapi({ description: '1: ignore cached descriptions and ask the LLM again' }),
  generate: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const kinds = (value ?? 'descriptors').split(',').map((kind) => kind.trim());
      if (kinds.length === 0 || kinds.some((kind) => !(KINDS as readonly string[]).includes(kind))) {
        ctx.addIssue({ code: 'custom', message: `a comma-separated list of ${KINDS.join(', ')}` });
        return z.NEVER;
      }
      return new Set(kinds as Array<(typeof KINDS)[number]>);
    })
    .openapi({
      type: 'string',
      description:
        "What to generate: descriptors (and FuDD pair descriptions), subclasses (method 'subclasses'), or both, comma-separated. Default descriptors",
      example: 'descriptors,subclasses',
    }),
});

export const DescribeResponseSchema = z
  .object({
    classifier: ClassifierInfoSchema,
    pairs: z.number().int().openapi({ description: 'Label pairs with FuDD descriptions in the cache' }),
    cached: z.boolean().openapi({ description: 'Whether everything generated came from the cache' }),
    dropped_subclasses: z
      .array(z.object({ subclass: z.string(), labels: z.array(z.string()) }))
      .optional()
      .openapi({
        description:
          'Generated subclasses left out because several labels got them, or they name a label: a subclass must tell one label apart',
      }),
  })
  .openapi('DescribeResponse');

const route = createRoute({
  method: 'post',
  path: '/v1/classifiers/{id}/describe',
  operationId: 'describeClassifier',
  tags: ['classifiers'],
  summary: 'Generate descriptors, FuDD pair descriptions and subclasses with the LLM',
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

/** The spec that recompiles `classifier` with what was generated, keeping the rest. */
function respec(
  classifier: CompiledClassifier,
  generated: { descriptors?: Record<string, string[]>; subclasses?: ClassifierSpec['subclasses'] },
): ClassifierSpec {
  const descriptors = generated.descriptors ?? classifier.descriptorMap;
  const subclasses = generated.subclasses ?? classifier.subclassMap;
  return {
    labels: classifier.labels,
    templates: classifier.templates,
    ...(descriptors ? { descriptors } : {}),
    // Regenerated descriptors take the paper's template, as they always have here.
    ...(!generated.descriptors && classifier.descriptorTemplate
      ? { descriptorTemplate: classifier.descriptorTemplate }
      : {}),
    ...(subclasses ? { subclasses } : {}),
    ...(subclasses && classifier.subclassTemplates
      ? { subclassTemplates: classifier.subclassTemplates }
      : {}),
  };
}

/** `compiled` with `previous`'s calibration when it still holds (the scores it was fitted on are unchanged). */
function keepCalibration(previous: CompiledClassifier, compiled: CompiledClassifier): CompiledClassifier {
  const calibration = previous.calibration;
  if (!calibration) return compiled;
  const fits = compiled.calibrationFingerprint(calibration.predictor) === calibration.weightsFingerprint;
  return fits ? compiled.withCalibration(calibration) : compiled;
}

/** Routes of the describe endpoint. */
export function describeRoutes(service: Service) {
  const { inference, classifiers, resources } = service;
  return new OpenAPIHono({ defaultHook: rejectInvalid }).openapi(
    { ...route, middleware: [service.gate.admit] as const },
    async (c) => {
      const { id } = c.req.valid('param');
      const { refresh, generate } = c.req.valid('query');
      const signal = requestSignal(c);
      const options = { refresh: refresh === '1', signal };
      const { classifier } = await classifiers.get(id);
      const described = generate.has('descriptors')
        ? await resources.describe(classifier, options)
        : undefined;
      const subclasses = generate.has('subclasses')
        ? await resources.subclasses(classifier, options)
        : undefined;
      const spec = respec(classifier, {
        ...(described ? { descriptors: described.descriptors } : {}),
        ...(subclasses ? { subclasses: subclasses.subclasses } : {}),
      });
      await inference.assertBudget({ spec });
      const engine = await inference.engine();
      const compiled = await engine.compile(spec, inference.run(signal, requestTimings(c)));
      const { classifier: recompiled } = await classifiers.put(id, keepCalibration(classifier, compiled));
      await resources.adaptations.reconcile(id, recompiled, { created: false });
      return c.json(
        {
          classifier: classifierInfo(id, recompiled),
          pairs: described?.pairs ?? 0,
          cached: (described?.cached ?? true) && (subclasses?.cached ?? true),
          ...(subclasses ? { dropped_subclasses: subclasses.dropped } : {}),
        },
        200,
      );
    },
  );
}
