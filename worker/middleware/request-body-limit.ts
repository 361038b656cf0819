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
        // The rest of the body is still on the wire: a reused connection would read it as the
        // next request. Self-hosted servers honour this; Workers manage connections themselves.
        headers: { Connection: 'close' },
      });
    },
  });
}
