/**
 * The inference gate on its own: units run in arrival order, never more than `concurrency` at
 * once; each starts on a fresh turn of the event loop (so what arrived meanwhile runs first); a
 * unit whose request was abandoned is not run; requests beyond `maxPending` get 503 with
 * Retry-After before their handler (and so their body) is reached.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { problemErrorHandler } from '../../worker/http/middleware/problem-handler.js';
import { InferenceGate } from '../../worker/service/inference-gate.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));
const VISION = { kind: 'vision', count: 1 } as const;
const DECODE = { kind: 'decode', count: 1 } as const;

describe('InferenceGate', () => {
  it('runs units in arrival order with at most `concurrency` at once', async () => {
    for (const concurrency of [1, 2, 3]) {
      const gate = new InferenceGate({ concurrency, maxPending: 100 });
      let running = 0;
      let most = 0;
      const started: number[] = [];
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          gate.run(VISION, async () => {
            started.push(i);
            running += 1;
            most = Math.max(most, running);
            await tick();
            running -= 1;
          }),
        ),
      );
      expect(most).toBe(concurrency);
      expect(started).toEqual(Array.from({ length: 12 }, (_, i) => i));
    }
  });

  it('interleaves the units of two requests instead of running one request to its end', async () => {
    const gate = new InferenceGate({ concurrency: 1, maxPending: 100 });
    const order: string[] = [];
    const request = async (name: string, units: number) => {
      for (let i = 0; i < units; i++) await gate.run(VISION, async () => void order.push(`${name}${i}`));
    };
    const large = request('L', 4);
    await tick(); // the small request arrives while the large one is under way
    await Promise.all([large, request('s', 1)]);
    expect(order.indexOf('s0')).toBeLessThan(order.indexOf('L3'));
  });

  it('starts every unit on a fresh turn of the event loop', async () => {
    const gate = new InferenceGate({ concurrency: 1, maxPending: 100 });
    const order: string[] = [];
    await gate.run(VISION, async () => {
      // Stands for an HTTP request arriving while a unit decodes: it is served before the next unit.
      setTimeout(() => order.push('timer'), 0);
      order.push('first');
    });
    await gate.run(VISION, async () => void order.push('second'));
    expect(order).toEqual(['first', 'timer', 'second']);
  });

  it('does not run a waiting unit whose request was abandoned', async () => {
    const gate = new InferenceGate({ concurrency: 1, maxPending: 100 });
    const controller = new AbortController();
    let ran = false;
    const blocker = gate.run(VISION, () => tick());
    const abandoned = gate.run(
      VISION,
      async () => {
        ran = true;
      },
      controller.signal,
    );
    controller.abort(new Error('client went away'));
    await blocker;
    await expect(abandoned).rejects.toThrow('client went away');
    expect(ran).toBe(false);
    // The slot is free again.
    await expect(gate.run(VISION, async () => 'next')).resolves.toBe('next');
  });

  it('runs a decode beside a tower run (separate lanes), each lane in order, and reports waits', async () => {
    const waits: string[] = [];
    const gate = new InferenceGate(
      { concurrency: 1, maxPending: 100 },
      { waited: (lane) => waits.push(lane), queued: () => {} },
    );
    let release = () => {};
    const inTower = new Promise<void>((resolve) => {
      release = resolve;
    });
    const order: string[] = [];
    const vision = gate.run(VISION, async () => {
      order.push('vision start');
      await inTower;
      order.push('vision end');
    });
    const secondVision = gate.run(VISION, async () => void order.push('second vision'));
    await gate.run(DECODE, async () => void order.push('decode'));
    release();
    await Promise.all([vision, secondVision]);
    // The decode did not wait for the tower; the second tower run did.
    expect(order).toEqual(['vision start', 'decode', 'vision end', 'second vision']);
    expect(waits.sort()).toEqual(['decode', 'model', 'model']);
    expect(gate.waiting).toEqual({ decode: 0, model: 0 });
  });

  it('answers 503 overloaded with Retry-After beyond maxPending, and admits again once one is done', async () => {
    const gate = new InferenceGate({ concurrency: 1, maxPending: 2 });
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let handled = 0;
    const app = new Hono();
    app.onError(problemErrorHandler());
    app.post('/work', gate.admit, async (c) => {
      handled += 1;
      await held;
      return c.text('done');
    });
    const first = app.request('/work', { method: 'POST' });
    const second = app.request('/work', { method: 'POST' });
    await tick();
    expect(gate.pending).toBe(2);
    const refused = await app.request('/work', { method: 'POST' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await refused.json()) as { code: string }).code).toBe('overloaded');
    expect(handled).toBe(2);
    release();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect(gate.pending).toBe(0);
    expect((await app.request('/work', { method: 'POST' })).status).toBe(200);
  });
});
