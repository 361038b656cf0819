/**
 * Bearer API-key authentication. Keys are compared in constant time (hashed first, so even the
 * key length does not leak); the API is open only when no key is configured AND dev mode is on.
 */
import type { MiddlewareHandler } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import { ProblemError } from '../problem.js';

/** Options of {@link apiKeyAuth}. */
export interface ApiKeyAuthOptions {
  keys: readonly string[];
  dev: boolean;
}

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="descry"' };

/** Middleware that rejects requests without a valid `Authorization: Bearer <key>` with 401. */
export function apiKeyAuth({ keys, dev }: ApiKeyAuthOptions): MiddlewareHandler {
  const open = keys.length === 0 && dev;
  return async (c, next) => {
    if (open) return next();
    const header = c.req.header('Authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const presented = match?.[1];
    if (presented === undefined) {
      throw new ProblemError(401, 'unauthorized', 'Send an API key as "Authorization: Bearer <key>".', {
        headers: CHALLENGE,
      });
    }
    let valid = false;
    // Check every key, no early exit: the time taken must not depend on which key matched.
    for (const key of keys) {
      if (await timingSafeEqual(key, presented)) valid = true;
    }
    if (!valid) {
      throw new ProblemError(401, 'unauthorized', 'The API key is not valid.', {
        headers: { 'WWW-Authenticate': 'Bearer realm="descry", error="invalid_token"' },
      });
    }
    return next();
  };
}
