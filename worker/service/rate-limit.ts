/**
 * Per-key rate limits: a token bucket per API key id, refilled at `requests` per `periodSeconds`.
 * On Workers the Rate Limiting binding (`[[ratelimits]]` in wrangler.toml, which miniflare runs)
 * counts across the isolates of a location; without it, and on Node, this in-process bucket does.
 * A caller over its limit gets 429 `rate_limited` with Retry-After (../http/middleware/rate-limit.ts).
 */

/** Decides whether one more request of `key` may go ahead. */
export interface RateLimiter {
  /** `ok`, or the seconds to wait before the next request would be allowed. */
  limit(key: string): Promise<{ ok: true } | { ok: false; retryAfterSeconds: number }>;
}

/** The subset of Cloudflare's Rate Limiting binding used here. */
export interface RateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** A token bucket per key, in this process; idle buckets are forgotten. */
export function tokenBucketLimiter(
  requests: number,
  periodSeconds: number,
  now: () => number = () => Date.now(),
): RateLimiter {
  const perMs = requests / (periodSeconds * 1000);
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    async limit(key) {
      const t = now();
      const bucket = buckets.get(key) ?? { tokens: requests, at: t };
      bucket.tokens = Math.min(requests, bucket.tokens + (t - bucket.at) * perMs);
      bucket.at = t;
      buckets.set(key, bucket);
      if (buckets.size > 10_000) {
        // A full bucket is the same as a forgotten one.
        for (const [k, b] of buckets) if (b.tokens + (t - b.at) * perMs >= requests) buckets.delete(k);
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
    },
  };
}

/** Cloudflare's binding as a {@link RateLimiter}; it does not say when to retry, so one period. */
export function bindingLimiter(binding: RateLimitBinding, periodSeconds: number): RateLimiter {
  return {
    async limit(key) {
      const { success } = await binding.limit({ key });
      return success ? { ok: true } : { ok: false, retryAfterSeconds: periodSeconds };
    },
  };
}
