/**
 * Slow clients inside workerd (miniflare), the counterpart of trickle.node.test.ts: 16 requests
 * whose bodies are streams that yield a byte at a time, twice as many as
 * DESCRY_MAX_PENDING_REQUESTS. Meanwhile an ordinary classify and /healthz are answered (the
 * bodies are read before admission, so the tricklers hold no inference slot), and once
 * DESCRY_BODY_TIMEOUT_MS has passed each trickler gets 408 `request_timeout` as problem+json.
 * The requests reach the Worker's app in this isolate (as busy-service.workerd.test.ts does), not
 * over a socket: miniflare gives tests no raw TCP client.
 */
import { env } from 'cloudflare:workers';
import embeddedModel from 'descry/models/emoji-clip';
import { createApp, type WorkerBindings, workerDeps } from 'descry/worker';
import { describe, expect, it } from 'vitest';
import { base64, solidPng } from './support/synthetic-images.js';
import { TEST_KEYS } from './support/test-vars.js';

const AUTH = { Authorization: `Bearer ${TEST_KEYS[0]}`, 'Content-Type': 'application/json' };
const BODY_TIMEOUT_MS = 2000;
const SOCKETS = 16;
const classifyBody = JSON.stringify({ images: [base64(solidPng(8, 8))], labels: ['cat', 'dog'] });

describe('slow clients in workerd', () => {
  it('answers classify and /healthz while 16 requests trickle bodies, then gives the tricklers 408 problem+json', async () => {
    const bindings = {
      ...(env as unknown as WorkerBindings),
      DESCRY_BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS),
      DESCRY_MAX_PENDING_REQUESTS: '8',
    } as WorkerBindings;
    const app = createApp(workerDeps(bindings, { embeddedModel }));
    const call = async (path: string, init?: RequestInit) =>
      app.fetch(new Request(`https://descry.test${path}`, init), bindings);

    let stopped = false;
    const bytes = new TextEncoder().encode(classifyBody);
    const tricklers = Array.from({ length: SOCKETS }, () => {
      // workerd's own stream, as a request body from the network is (a stream made in JavaScript
      // behaves differently: its reader may be released with a read outstanding, a native one not).
      const { readable, writable } = new IdentityTransformStream();
      const writer = writable.getWriter();
      void (async () => {
        for (let sent = 0; sent < bytes.length && !stopped; sent++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          await writer.write(bytes.subarray(sent, sent + 1)).catch(() => {});
        }
        await writer.close().catch(() => {});
      })();
      const started = performance.now();
      return call('/v1/classify', {
        method: 'POST',
        headers: { ...AUTH, 'Content-Length': String(bytes.length) },
        body: readable,
        duplex: 'half',
      } as RequestInit).then(async (response) => ({
        response,
        body: await response.text(),
        afterMs: performance.now() - started,
      }));
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (let i = 0; i < 3; i++) {
        expect((await call('/healthz')).status).toBe(200);
        const classify = await call('/v1/classify', { method: 'POST', headers: AUTH, body: classifyBody });
        expect(classify.status, await classify.clone().text()).toBe(200);
      }
      for (const { response, body, afterMs } of await Promise.all(tricklers)) {
        expect(response.status, body).toBe(408);
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        expect(JSON.parse(body)).toMatchObject({
          status: 408,
          code: 'request_timeout',
          limit_ms: BODY_TIMEOUT_MS,
        });
        expect(afterMs).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 50);
        expect(afterMs).toBeLessThan(BODY_TIMEOUT_MS + 5000);
      }
      expect((await call('/v1/classify', { method: 'POST', headers: AUTH, body: classifyBody })).status).toBe(
        200,
      );
    } finally {
      stopped = true;
    }
  });
});
