/**
 * `descry/worker`: the Descry HTTP service as a Hono app, and the Cloudflare Workers host around it.
 *
 * - {@link createWorker}: a Worker's default export, configured by wrangler.toml bindings and vars.
 * - {@link createApp}: the app over dependencies you build yourself (any host Hono runs on); its
 *   type {@link AppType} gives `hc<AppType>()` clients typed routes.
 * - The Node host is `descry/server`.
 *
 * @module
 */

export type { WorkerBindings } from './hosts/bindings.js';
export { createWorker, type WorkerOptions, workerDeps } from './hosts/workers.js';
export { type AppType, createApp } from './http/app.js';
export { JobCoordinator } from './jobs/durable-ledger.js';
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
