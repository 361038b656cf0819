/**
 * Self-hosting: the same app on Node with @hono/node-server, classifiers and adaptation caches
 * in files (or memory), the model from a local folder, URL or hub id. Configured by the same
 * variables as the Worker (../service/config.ts), from the environment: this module is the only
 * place on Node that reads it.
 *
 *   node --import tsx worker/hosts/node-server.node.ts   # DESCRY_PORT, DESCRY_MODEL, DESCRY_DATA_DIR, DESCRY_* vars
 */

import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Descry, folderSource } from 'descry';
import { descriptionSourceFrom } from 'descry/llm';
import { emojiClipPath } from 'descry/models/emoji-clip';
import type { KeyValueStore } from 'descry/store';
import { FileStore, MemoryStore } from 'descry/store';
import { createApp } from '../http/app.js';
import { problemType } from '../http/problem.js';
import { serviceJobConsumer } from '../jobs/job-consumer.js';
import { nodeJobHost } from '../jobs/node-job-host.node.js';
import { engineLoadOptions } from '../service/batches.js';
import { readServiceConfig } from '../service/config.js';
import type { ServiceDeps } from '../service/deps.js';
import { engineLoader } from '../service/engine-loader.js';
import { nodeMetrics } from './metrics.node.js';
import { staticSite } from './static-site.node.js';
import { fetchAfterBody } from './unread-body.node.js';

/** The embedded model's folder (in the repository, or in the installed package), used when nothing else is configured. */
export const DEFAULT_MODEL_DIR = emojiClipPath;

/** Options of {@link startNodeServer}. */
export interface NodeServerOptions {
  /** Port; 0 picks a free one. Default DESCRY_PORT, else 8787. */
  port?: number;
  /** Default DESCRY_HOST, else 127.0.0.1: exposing the service is a deliberate choice. */
  hostname?: string;
  /** Model folder, URL or hub id. Default DESCRY_MODEL, else the embedded emoji-clip folder. */
  model?: string;
  /** Folder for classifiers, adaptation caches and job results (default DESCRY_DATA_DIR); without one they live in memory. */
  dataDir?: string;
  /**
   * Variables (DESCRY_API_KEYS, limits, LLM, DESCRY_JOB_BUCKETS="IMAGES=/srv/photos"...).
   * Default: process.env.
   */
  vars?: Record<string, string | undefined>;
  /** Where access-log lines go (default stdout); `DESCRY_ACCESS_LOG=false` turns them off. */
  log?: (line: string) => void;
  /**
   * Folder of the web page served at `/` (the API's routes win over its files). Default: the
   * demo page's build in this repository, examples/web/dist, when it exists; `false` for none.
   */
  site?: string | false;
}

/** A running server. */
export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:8787. */
  url: string;
  close(): Promise<void>;
}

/**
 * Build the dependencies for Node, batch jobs included: their queue runs in this process and
 * starts consuming at once, resuming the jobs the data folder holds unfinished. Call `close` to
 * stop it.
 */
export function nodeDeps(options: NodeServerOptions = {}): ServiceDeps & { close(): void } {
  const config = readServiceConfig(options.vars ?? process.env);
  const chosen = options.model ?? config.model;
  const model = chosen === 'embedded' ? DEFAULT_MODEL_DIR : chosen;
  // A folder is reported by its name: the absolute path says nothing to clients and leaks the host layout.
  const source = existsSync(model) ? { ...folderSource(model), id: basename(model) } : model;
  const dataDir = options.dataDir ?? config.node.dataDir;
  const store = (name: string): KeyValueStore =>
    dataDir ? new FileStore(join(dataDir, name)) : new MemoryStore();
  const { observer, metrics } = nodeMetrics();
  const jobs = nodeJobHost(config.jobs, dataDir, (event) => observer.job?.(event));
  const deps = {
    config,
    ...engineLoader(
      () => Descry.load(source, engineLoadOptions(config, observer)),
      (ms, ok) => observer.modelLoaded?.(ms, ok),
    ),
    classifiers: store('classifiers'),
    adaptations: store('adaptations'),
    descriptions: descriptionSourceFrom(config.llm),
    runtime: `node ${process.versions.node}`,
    jobs: jobs.host,
    observer,
    metrics,
    ...(options.log ? { log: options.log } : {}),
    close: () => jobs.close(),
  };
  jobs.queue.consume(serviceJobConsumer(deps));
  // Jobs a previous process left unfinished in the data folder are re-queued; the watchdog starts.
  jobs.start().catch((error: unknown) => console.error('[descry] resuming batch jobs failed', error));
  return deps;
}

/** Start the service; resolves once it listens. */
export function startNodeServer(options: NodeServerOptions = {}): Promise<RunningServer> {
  const deps = nodeDeps(options);
  const { node } = deps.config;
  const app = createApp(deps);
  app.route('/', staticSite({ site: options.site }));
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: fetchAfterBody(app),
        port: options.port ?? node.port,
        hostname: options.hostname ?? node.host,
        // Unread bodies are drained by fetchAfterBody, before the answer and with bounds that suit uploads.
        autoCleanupIncoming: false,
      },
      (info: AddressInfo) => {
        resolve({
          url: `http://${info.address}:${info.port}`,
          close: () =>
            new Promise((done, fail) => {
              deps.close();
              server.close((error) => (error ? fail(error) : done()));
            }),
        });
      },
    );
    server.once('error', reject);
    // Headers that do not arrive in time, or that no request may have, get problem+json too.
    const http = server as unknown as Server;
    http.headersTimeout = node.headersTimeoutMs;
    http.requestTimeout = 0; // the app's own deadlines (body, request) bound a request
    http.on('clientError', answerClientError);
  });
}

/**
 * Node's own refusals (headers too large, too slow, unparseable) as problem+json instead of its
 * bare status lines. A socket that is gone or already answering is just closed.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || (socket as Duplex & { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  const [status, code, title, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'headers_too_large',
          'Request Header Fields Too Large',
          'The request line or headers are too large.',
        ]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'Request Timeout', 'The request headers did not arrive in time.']
        : [400, 'malformed_request', 'Bad Request', 'The request could not be parsed as HTTP.'];
  const body = JSON.stringify({
    type: problemType(code),
    title,
    status,
    detail,
    code,
    instance: '/',
  });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // Run as a program, the server keeps its data on disk unless told otherwise.
  const server = await startNodeServer({ vars: { DESCRY_DATA_DIR: '.data/descry', ...process.env } });
  console.log(`Descry listening on ${server.url}: try it at ${server.url}/, API docs at ${server.url}/docs`);
}
