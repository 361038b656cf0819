/**
 * `descry/worker`: the Descry HTTP service as a Hono app, and the Cloudflare Workers host around it.
 *
 * - {@link createWorker}: a Worker's default export, configured by wrangler.toml bindings and vars.
 * - Everything of `descry/app` (./app.ts): {@link createApp}, the app over dependencies you build
 *   yourself (any host Hono runs on; its type {@link AppType} gives `hc<AppType>()` clients typed
 *   routes), and the service's configuration.
 * - The Node host is `descry/server`.
 *
 * @module
 */

export * from './app.js';
export type { WorkerBindings } from './hosts/bindings.js';
export { createWorker, type WorkerOptions, workerDeps } from './hosts/workers.js';
export { JobCoordinator } from './jobs/durable-ledger.js';
