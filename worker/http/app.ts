/**
 * The Descry HTTP service as one Hono app. Hosts (Workers, Node) build the dependencies once
 * and call {@link createApp}; the same app then serves every request of that isolate/process.
 *
 * Order of a request: request id; its context (deadline, workload, the access-log line at the end);
 * CORS; authentication (an anonymous caller cannot make us read a large body or wait at the gate);
 * the per-key rate limit; the whole body read within its size and time limits; then the route: its
 * validators, its admission to inference when it runs the encoders (declared where the route is
 * defined: `middleware: [service.gate.admit]`), and its handler.
 */

import { OpenAPIHono } from '@hono/zod-openapi';
import { cors } from 'hono/cors';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { requestId } from 'hono/request-id';
import packageJson from '../../package.json' with { type: 'json' };
import type { ServiceDeps } from '../service/deps.js';
import { serviceOf } from '../service/service.js';
import { docsPage } from './docs-page.js';
import { apiKeyAuth } from './middleware/api-key-auth.js';
import { problemErrorHandler, problemNotFound } from './middleware/problem-handler.js';
import { rateLimit } from './middleware/rate-limit.js';
import { readBody } from './middleware/read-body.js';
import { requestContext } from './middleware/request-context.js';
import { problemResponse } from './problem.js';
import { adaptRoutes } from './routes/adapt.js';
import { calibrateRoutes } from './routes/calibrate.js';
import { classifierRoutes } from './routes/classifiers.js';
import { classifyRoutes } from './routes/classify.js';
import { describeRoutes } from './routes/describe.js';
import { embeddingsRoutes } from './routes/embeddings.js';
import { healthRoutes } from './routes/health.js';
import { huggingFaceRoutes } from './routes/hugging-face.js';
import { jobRoutes } from './routes/jobs.js';
import { rejectInvalid } from './validation-problem.js';

/** Paths that need an API key and whose bodies are read within the limits. */
const PROTECTED = ['/v1/*', '/models/*'] as const;

/** Build the app over `deps`. */
export function createApp(deps: ServiceDeps) {
  const service = serviceOf(deps);
  const { config } = service;
  const app = new OpenAPIHono({ defaultHook: rejectInvalid });

  app.use(requestId());
  app.use(
    requestContext({
      timeoutMs: config.limits.requestTimeoutMs,
      log: config.accessLog ? (deps.log ?? console.log) : () => {},
      ...(deps.observer ? { observer: deps.observer } : {}),
    }),
  );
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        problemResponse(c, 405, 'method_not_allowed', `${c.req.method} is not allowed here.`, {
          headers: { Allow: methods.join(', ') },
        }),
    }),
  );
  if (config.corsOrigins.length > 0) {
    const origin = config.corsOrigins.includes('*') ? '*' : config.corsOrigins;
    app.use(
      cors({
        origin,
        allowHeaders: ['Authorization', 'Content-Type'],
        exposeHeaders: ['X-Request-Id'],
        maxAge: 600,
      }),
    );
  }
  if (config.apiKeys.length === 0 && config.adminKeys.length === 0) {
    console.warn(
      config.dev
        ? '[descry] DESCRY_DEV is set and no API keys are configured: the API is open to anyone'
        : '[descry] no API keys are configured (DESCRY_API_KEYS): every /v1 and /models request will get 401',
    );
  }
  const body = { maxBytes: config.limits.maxBodyBytes, timeoutMs: config.limits.bodyTimeoutMs };
  const protectedPaths = deps.metrics ? [...PROTECTED, '/metrics'] : PROTECTED;
  const auth = apiKeyAuth({ keys: config.apiKeys, adminKeys: config.adminKeys, dev: config.dev });
  const limited = rateLimit(service.rateLimiter, () => deps.observer?.rateLimited?.());
  for (const path of protectedPaths) app.use(path, auth);
  for (const path of protectedPaths) app.use(path, limited);
  for (const path of protectedPaths) app.use(path, readBody(body));
  app.onError(
    problemErrorHandler({ acceptedTypes: (c) => acceptedTypes.get(`${c.req.method} ${c.req.routePath}`) }),
  );
  app.notFound(problemNotFound);

  const routes = app
    .route('/', healthRoutes(deps))
    .route('/', classifyRoutes(service))
    .route('/', embeddingsRoutes(service))
    .route('/', classifierRoutes(service))
    .route('/', adaptRoutes(service))
    .route('/', calibrateRoutes(service))
    .route('/', describeRoutes(service))
    .route('/', huggingFaceRoutes(service))
    .route('/', jobRoutes(service));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'One of the keys in DESCRY_API_KEYS',
  });
  // The document names the origin it was fetched from: generated clients then call this deployment.
  app.doc31('/openapi.json', (c) => ({
    openapi: '3.1.0',
    info: {
      title: 'Descry',
      version: packageJson.version,
      description:
        'Zero-shot image classification with CLIP-style models. Errors are RFC 9457 problem+json with a stable `code`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: new URL(c.req.url).origin, description: 'This deployment' }],
  }));
  app.get('/docs', docsPage({ specUrl: '/openapi.json' }));
  const metrics = deps.metrics;
  if (metrics) {
    app.get('/metrics', async () => {
      const { contentType, body: text } = await metrics();
      return new Response(text, { headers: { 'Content-Type': contentType } });
    });
  }
  // The media types each route's body may have, from its OpenAPI definition, for 415 answers.
  const acceptedTypes = new Map<string, string[]>();
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== 'route') continue;
    const content = definition.route.request?.body?.content;
    if (!content) continue;
    const path = definition.route.path.replaceAll(/\{(\w+)\}/g, ':$1');
    acceptedTypes.set(`${definition.route.method.toUpperCase()} ${path}`, Object.keys(content));
  }
  return routes;
}

/** The app's route types, for `hc<AppType>()` from hono/client. */
export type AppType = ReturnType<typeof createApp>;
