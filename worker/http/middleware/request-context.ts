/**
 * What every request carries through the app: its deadline, its workload and its gate timings, and
 * at the end one access-log line (JSON, one per request) and the observer's request record.
 *
 * - Deadline: the request's signal is the client's (a client that goes away stops the remaining
 *   units) combined with `DESCRY_REQUEST_TIMEOUT_MS`; past it the units stop and the answer is 503
 *   `deadline_exceeded`. Costs are bounded before work starts (budgets), so this is a backstop.
 * - Access log: request id, method, route, status, duration, hashed key id, images, labels, texts
 *   and the inference wait. Workers Logs collects the console on Workers; stdout on Node.
 */

import type { Context, MiddlewareHandler } from 'hono';
import { anySignal } from '../../../sdk/signals.js';
import type { RunTimings } from '../../service/inference.js';
import type { ServiceObserver } from '../../service/observer.js';
import { callerOf } from './api-key-auth.js';

/** How much a request asks for, as it was read. */
export interface Workload {
  images?: number;
  labels?: number;
  texts?: number;
  prompts?: number;
}

interface RequestState {
  signal: AbortSignal;
  timings: RunTimings;
  workload: Workload;
}

const STATE = 'descryRequest' as never;

function state(c: Context): RequestState {
  const existing = c.get(STATE) as RequestState | undefined;
  if (existing) return existing;
  // Outside the middleware (a test mounting a route alone): the client's signal, nothing recorded.
  const fresh: RequestState = { signal: c.req.raw.signal, timings: {}, workload: {} };
  c.set(STATE, fresh as never);
  return fresh;
}

/** The request's signal: the client's, ended also by the deadline. */
export function requestSignal(c: Context): AbortSignal {
  return state(c).signal;
}

/** The request's gate timings, for `Inference.run`. */
export function requestTimings(c: Context): RunTimings {
  return state(c).timings;
}

/** Record what the request asks for (the access log's counts). */
export function noteWorkload(c: Context, workload: Workload): void {
  Object.assign(state(c).workload, workload);
}

/** Options of {@link requestContext}. */
export interface RequestContextOptions {
  timeoutMs: number;
  /** Where access-log lines go; default console.log. */
  log?: (line: string) => void;
  observer?: ServiceObserver;
}

/** The middleware: first in the app, after the request id. */
export function requestContext({
  timeoutMs,
  log = console.log,
  observer,
}: RequestContextOptions): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    const signals = [c.req.raw.signal, AbortSignal.timeout(timeoutMs)];
    const current: RequestState = { signal: anySignal(signals), timings: {}, workload: {} };
    c.set(STATE, current as never);
    try {
      await next();
    } finally {
      const durationMs = Math.round((performance.now() - started) * 100) / 100;
      const status = c.res?.status ?? 500;
      const route =
        c.req.routePath && c.req.routePath !== '*' && c.req.routePath !== '/*'
          ? c.req.routePath
          : 'unmatched';
      const inferenceWaitMs = Math.round((current.timings.waitMs ?? 0) * 100) / 100;
      observer?.request?.({ method: c.req.method, route, status, durationMs, inferenceWaitMs });
      log(
        JSON.stringify({
          msg: 'request',
          request_id: c.get('requestId' as never),
          method: c.req.method,
          route,
          path: new URL(c.req.url).pathname.slice(0, 200),
          status,
          duration_ms: durationMs,
          key_id: (c.get('caller' as never) as { keyId: string } | undefined) ? callerOf(c).keyId : null,
          ...current.workload,
          inference_wait_ms: inferenceWaitMs,
        }),
      );
    }
  };
}
