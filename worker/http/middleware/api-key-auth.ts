/**
 * Bearer API-key authentication. Keys are compared in constant time (hashed first, so even the
 * key length does not leak); the API is open only when no key is configured AND dev mode is on.
 *
 * An authenticated request carries its caller's identity in the context (see {@link Caller}): a
 * key id, the first 16 hex digits of the key's SHA-256 (what access logs, rate limits and job
 * ownership use; never the key itself), and whether the key is an admin key (DESCRY_ADMIN_KEYS:
 * sees every job). In open dev mode every caller is `anonymous`.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import { ProblemError } from '../problem.js';

/** Options of {@link apiKeyAuth}. */
export interface ApiKeyAuthOptions {
  keys: readonly string[];
  /** Keys that may also see and cancel every key's jobs. */
  adminKeys?: readonly string[];
  dev: boolean;
}

/** Who made a request. */
export interface Caller {
  /** First 16 hex digits of the key's SHA-256, or `anonymous` in open dev mode. */
  keyId: string;
  admin: boolean;
}

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="descry"' };
const ANONYMOUS: Caller = { keyId: 'anonymous', admin: true };

/** The key id of `key`: not reversible, stable across isolates and restarts. */
export async function keyIdOf(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
  return Array.from(digest.subarray(0, 8), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The caller of an authenticated request (`anonymous` when authentication did not run). */
export function callerOf(c: Context): Caller {
  return (c.get('caller' as never) as Caller | undefined) ?? ANONYMOUS;
}

/** Middleware that rejects requests without a valid `Authorization: Bearer <key>` with 401. */
export function apiKeyAuth({ keys, adminKeys = [], dev }: ApiKeyAuthOptions): MiddlewareHandler {
  const all = [...keys, ...adminKeys];
  const open = all.length === 0 && dev;
  return async (c, next) => {
    if (open) {
      c.set('caller' as never, ANONYMOUS as never);
      return next();
    }
    const header = c.req.header('Authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const presented = match?.[1];
    if (presented === undefined) {
      throw new ProblemError(401, 'unauthorized', 'Send an API key as "Authorization: Bearer <key>".', {
        headers: CHALLENGE,
      });
    }
    let valid = false;
    let admin = false;
    // Check every key, no early exit: the time taken must not depend on which key matched.
    for (const key of keys) {
      if (await timingSafeEqual(key, presented)) valid = true;
    }
    for (const key of adminKeys) {
      if (await timingSafeEqual(key, presented)) {
        valid = true;
        admin = true;
      }
    }
    if (!valid) {
      throw new ProblemError(401, 'unauthorized', 'The API key is not valid.', {
        headers: { 'WWW-Authenticate': 'Bearer realm="descry", error="invalid_token"' },
      });
    }
    c.set('caller' as never, { keyId: await keyIdOf(presented), admin } as never);
    return next();
  };
}
