/**
 * `descry/app`: the Descry HTTP service as a Hono app for any host, with types that need nothing
 * of Cloudflare's. {@link createApp} over {@link portableDeps} serves under Deno, Bun, Vercel's
 * Edge runtime, AWS Lambda (Hono's `hono/aws-lambda`) or any Node server; the Workers host is
 * `descry/worker`, the ready-made Node server `descry/server`. Needs the optional peers `hono` and
 * `@hono/zod-openapi`.
 *
 * @module
 */

export { type PortableOptions, portableDeps } from './hosts/portable.js';
export { type AppType, createApp } from './http/app.js';
export {
  DEFAULT_LIMITS,
  readServiceConfig,
  SERVICE_VARS,
  type ServiceConfig,
  type ServiceLimits,
  type ServiceVarName,
} from './service/config.js';
export type { ClassificationEngine, ServiceDeps } from './service/deps.js';
export { type EngineLoader, engineLoader } from './service/engine-loader.js';
