/**
 * `descry/server`: the service on Node (./node-server.node.ts), loaded on the first call. Its
 * packages (`hono`, `@hono/zod-openapi`, `@hono/node-server`, and `prom-client` for /metrics) are optional peers of descry, so the
 * host is imported when it is started, and a missing one is a `DependencyMissingError` naming
 * them all and the command that installs them, rather than Node's "Cannot find package".
 *
 * @module
 */

import { missingPeer } from 'descry';
import type { NodeServerOptions, RunningServer } from './node-server.node.js';

export type { NodeServerOptions, RunningServer } from './node-server.node.js';

/** The packages the Node server needs besides descry's own. */
export const SERVER_PEERS = ['hono', '@hono/zod-openapi', '@hono/node-server', 'prom-client'] as const;

/** Start the service on Node; resolves once it listens. See {@link NodeServerOptions}. */
export async function startNodeServer(options: NodeServerOptions = {}): Promise<RunningServer> {
  const host = await import('./node-server.node.js').catch(missingPeer('descry/server', SERVER_PEERS));
  return host.startNodeServer(options);
}
