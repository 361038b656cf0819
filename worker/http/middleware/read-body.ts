/**
 * Reads a request's whole body before any route sees it, within a size limit and a time limit:
 * 413 when it is larger than `maxBytes` (at once from Content-Length, else as soon as the count
 * passes the limit, so an oversized body is never buffered whole), 408 when it has not arrived
 * within `timeoutMs`. The bytes go into Hono's body cache, from which the routes' validators and
 * readers take them.
 *
 * Why read it here: admission to inference (the gate's `admit`) comes after this, so a request
 * takes an inference slot only once its body has fully arrived, and clients that trickle their
 * bodies hold no slot: they wait here until they finish or time out. A client that goes away
 * mid-body ends the request quietly (there is nobody to answer).
 */
import type { MiddlewareHandler } from 'hono';
import { ProblemError } from '../problem.js';

/** Options of {@link readBody}. */
export interface ReadBodyOptions {
  maxBytes: number;
  timeoutMs: number;
}

/** A body that stopped because its client went away: not an error worth a log line. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
}

function tooLarge(maxBytes: number): ProblemError {
  return new ProblemError(413, 'payload_too_large', `The request body is larger than ${maxBytes} bytes.`, {
    extensions: { limit: maxBytes },
  });
}

/** The middleware. */
export function readBody({ maxBytes, timeoutMs }: ReadBodyOptions): MiddlewareHandler {
  return async (c, next) => {
    const body = c.req.raw.body;
    if (body === null) return next();
    const declared = Number(c.req.header('Content-Length'));
    // No `Connection: close`: the host drains what is still arriving (Node: unread-body.node.ts).
    if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A read the deadline overtook is still outstanding: workerd's own streams (a body from the
    // network) throw on releaseLock() then, so the lock is kept; the connection closes after the 408.
    let reading = false;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      for (;;) {
        // The reader is never cancelled: on Node that would destroy the socket before the answer
        // goes out. The host drains what is left after a 413 (Node: unread-body.node.ts) and
        // closes the connection after a 408.
        reading = true;
        const read = reader.read().finally(() => {
          reading = false;
        });
        const result = await Promise.race([read, deadline]).catch((cause: unknown) => {
          throw new ClientGoneError('the client closed the connection before its body arrived', { cause });
        });
        if (result === 'timeout') {
          throw new ProblemError(
            408,
            'request_timeout',
            `The request body did not arrive within ${timeoutMs} ms.`,
            {
              extensions: { limit_ms: timeoutMs },
              headers: { Connection: 'close' },
            },
          );
        }
        if (result.done) break;
        total += result.value.byteLength;
        if (total > maxBytes) throw tooLarge(maxBytes);
        chunks.push(result.value);
      }
    } finally {
      clearTimeout(timer);
      if (!reading) reader.releaseLock();
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    // Hono keeps the promise of each body form it has read; its other forms derive from this one.
    (c.req.bodyCache as Record<string, unknown>).arrayBuffer = Promise.resolve(bytes.buffer);
    await next();
  };
}
