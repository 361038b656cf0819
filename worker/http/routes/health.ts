/** GET /healthz: liveness plus readiness of the model, and what is deployed. */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import packageJson from '../../../package.json' with { type: 'json' };
import type { ServiceDeps } from '../../service/deps.js';
import { problemResponses } from '../schemas.js';
import { rejectInvalid } from '../validation-problem.js';

export const HealthSchema = z
  .object({
    status: z.enum(['ok', 'idle', 'loading', 'failed']),
    ready: z.boolean(),
    model: z
      .object({
        id: z.string(),
        fingerprint: z.string(),
        family: z.string(),
        projection_dim: z.number().int().nullable(),
      })
      .nullable(),
    versions: z.object({ descry: z.string(), onnxruntime_web: z.string(), hono: z.string() }),
    runtime: z.string(),
  })
  .openapi('Health');

const route = createRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'getHealth',
  tags: ['service'],
  summary: 'Health and readiness',
  // Open on purpose (load balancers and uptime checks have no key): said explicitly, not by omission.
  security: [],
  request: {
    query: z.object({
      ready: z
        .enum(['0', '1'])
        .optional()
        .openapi({ description: '1: load the model first and answer 503 if it cannot load' }),
    }),
  },
  responses: {
    200: {
      description: 'Alive (and ready when `ready` is true)',
      content: { 'application/json': { schema: HealthSchema } },
    },
    503: {
      description: 'The model failed to load',
      content: { 'application/json': { schema: HealthSchema } },
    },
    ...problemResponses(422),
  },
});

const versions = {
  descry: packageJson.version,
  onnxruntime_web: packageJson.dependencies['onnxruntime-web'].replace(/^\^/, ''),
  hono: packageJson.peerDependencies.hono.replace(/^\^/, ''),
};

/** Routes of the health endpoint. */
export function healthRoutes(deps: ServiceDeps) {
  return new OpenAPIHono({ defaultHook: rejectInvalid }).openapi(route, async (c) => {
    const { ready } = c.req.valid('query');
    let model: z.infer<typeof HealthSchema>['model'] = null;
    if (ready === '1' || deps.engineState() === 'ready') {
      try {
        const { info } = await deps.engine();
        model = {
          id: info.id,
          fingerprint: info.fingerprint,
          family: info.family,
          projection_dim: info.projectionDim ?? null,
        };
      } catch (error) {
        console.error('[descry] model failed to load', error);
      }
    }
    const state = deps.engineState();
    const status = state === 'ready' ? 'ok' : state;
    const body = { status, ready: state === 'ready', model, versions, runtime: deps.runtime } as const;
    return state === 'failed' ? c.json(body, 503) : c.json(body, 200);
  });
}
