/** 429 `rate_limited` with Retry-After for a caller over its per-key limit (../../service/rate-limit.ts). */
import type { MiddlewareHandler } from 'hono';
import type { RateLimiter } from '../../service/rate-limit.js';
import { ProblemError } from '../problem.js';
import { callerOf } from './api-key-auth.js';

/** The middleware; runs after authentication, so the key id is known. */
export function rateLimit(limiter: RateLimiter, onLimited?: () => void): MiddlewareHandler {
  return async (c, next) => {
    const decision = await limiter.limit(callerOf(c).keyId);
    if (!decision.ok) {
      onLimited?.();
      throw new ProblemError(
        429,
        'rate_limited',
        `Too many requests for this key; retry in ${decision.retryAfterSeconds} s.`,
        {
          headers: { 'Retry-After': String(decision.retryAfterSeconds) },
          extensions: { retry_after: decision.retryAfterSeconds },
        },
      );
    }
    await next();
  };
}
