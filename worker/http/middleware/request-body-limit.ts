/**
 * Request body cap. hono/body-limit rejects on Content-Length before reading and counts bytes
 * of chunked bodies as they stream, so an oversized body is never buffered whole.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ProblemError } from '../problem.js';

/** 413 problem+json for bodies over `maxBytes`. */
export function requestBodyLimit(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ProblemError(413, 'payload_too_large', `The request body is larger than ${maxBytes} bytes.`, {
        extensions: { limit: maxBytes },
        // No `Connection: close`: closing with the body still arriving makes the peer's kernel
        // answer with a reset, and a client that sends its whole body before reading (most do)
        // then sees a broken pipe instead of this 413. The host drains the rest instead (Node:
        // node-unread-body.ts; Workers manage connections themselves).
      });
    },
  });
}
