/**
 * Per-key rate limits in workerd with the Rate Limiting binding (`[[ratelimits]] RATE_LIMITER` in
 * wrangler.toml, which miniflare runs with its `simple` limit): one key past the limit gets 429
 * `rate_limited` as problem+json with Retry-After, while another key still gets in, and /healthz
 * (no key) is not limited. The binding counts per key across every test of this isolate, so this
 * test uses keys of its own (fresh per run) rather than TEST_KEYS, which the other suites spend.
 */
import { env } from 'cloudflare:workers';
import embeddedModel from 'descry/models/emoji-clip';
import { createApp, type WorkerBindings, workerDeps } from 'descry/worker';
import { describe, expect, it } from 'vitest';

/** wrangler.toml's `[[ratelimits]] simple = { limit = 600, period = 60 }`, which the binding enforces. */
const deployedLimit = { limit: 600, period: 60 };

describe('per-key rate limits in workerd', () => {
  it('answers 429 problem+json with Retry-After to one key over the binding limit, and lets another key in', {
    timeout: 90_000,
  }, async () => {
    const base = env as unknown as WorkerBindings;
    expect(base.RATE_LIMITER, 'wrangler.toml binds RATE_LIMITER').toBeDefined();
    const run = crypto.randomUUID();
    const [busy, quiet] = [`busy-${run}`, `quiet-${run}`];
    const bindings = {
      ...base,
      // Named, not only spread: `env` may expose bindings through property reads alone.
      RATE_LIMITER: base.RATE_LIMITER,
      DESCRY_API_KEYS: `${busy},${quiet}`,
      DESCRY_RATE_LIMIT_PERIOD_SECONDS: String(deployedLimit.period),
    } as WorkerBindings;
    const app = createApp(workerDeps(bindings, { embeddedModel }));
    const get = (key: string | undefined, path = '/v1/nothing-here') =>
      app.fetch(
        new Request(`https://descry.test${path}`, key ? { headers: { Authorization: `Bearer ${key}` } } : {}),
        bindings,
      );

    // The binding counts in windows aligned to the wall clock (miniflare's RateLimiterObject: epoch =
    // floor(now / period)): a run that crossed into the next window would be let in again. Start at
    // the beginning of a window when the current one has less than 20 s left.
    const periodMs = deployedLimit.period * 1000;
    const left = periodMs - (Date.now() % periodMs);
    if (left < 20_000) await new Promise((resolve) => setTimeout(resolve, left + 100));

    // Up to the binding's limit the busy key is let in; the next request is refused.
    const statuses = new Map<number, number>();
    let first429: Response | undefined;
    for (let i = 0; i < deployedLimit.limit + 5; i++) {
      const response = await get(busy);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status === 429) first429 ??= response;
      else await response.arrayBuffer();
    }
    // An unknown path: authenticated and counted, then 404, with no storage behind it.
    expect(statuses.get(404)).toBe(deployedLimit.limit);
    expect(statuses.get(429)).toBe(5);
    expect(first429!.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(first429!.headers.get('retry-after')).toBe(String(deployedLimit.period));
    expect(await first429!.json()).toMatchObject({
      status: 429,
      code: 'rate_limited',
      retry_after: deployedLimit.period,
    });

    // Another key is counted apart, and /healthz takes no key.
    expect((await get(quiet)).status).toBe(404);
    expect((await get(undefined, '/healthz')).status).toBe(200);
    expect((await get(busy)).status).toBe(429);
  });
});
