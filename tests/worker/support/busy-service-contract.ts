/**
 * The service under load, the same on every host: admission counts work, not connections (a client
 * that holds its body back takes no inference slot), inference requests beyond
 * DESCRY_MAX_PENDING_REQUESTS get 503 `overloaded` with Retry-After, and a large request does not
 * hold up /healthz or a small request that arrives while it runs. How long anything takes is for
 * bench/heavy-requests.mjs; this checks the order things finish in.
 */
import { encode as encodePng } from 'fast-png';
import { expect, it } from 'vitest';
import { base64, solidPng } from './synthetic-images.js';
import { TEST_KEYS } from './test-vars.js';

/** A request whose headers have been sent and whose body waits for `release`. */
export interface HeldRequest {
  /** The status the service answered, once it has. */
  status: Promise<number>;
  /** Send the body. */
  release(): void;
}

/** A service started with extra variables, and how to stop it. */
export interface BusyService {
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** POST JSON `body` to `path`, holding the body back until released. */
  hold(path: string, body: string): HeldRequest;
  close(): Promise<void>;
}

/** {@link BusyService.hold} for a host reached in process: the body is a stream that waits. */
export function holdInProcess(fetcher: BusyService['fetch']): BusyService['hold'] {
  return (path, text) => {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await released;
        controller.enqueue(new TextEncoder().encode(text));
        controller.close();
      },
    });
    const status = fetcher(path, {
      method: 'POST',
      headers: JSON_AUTH,
      body,
      duplex: 'half',
    } as RequestInit).then((response) => response.status);
    return { status, release };
  };
}

export const JSON_AUTH = { Authorization: `Bearer ${TEST_KEYS[0]}`, 'Content-Type': 'application/json' };

/** A PNG of a pattern: as costly to decode as any image of its size, small to send. */
function patternPng(side: number): Uint8Array {
  const data = new Uint8Array(side * side * 4);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++)
      data.set([(x * 7) & 255, (y * 13) & 255, (x ^ y) & 255, 255], (y * side + x) * 4);
  }
  return encodePng({ width: side, height: side, data, channels: 4, depth: 8 });
}

/** Register the suite; `start(vars)` starts a service with TEST_VARS plus `vars`. */
export function busyServiceContract(start: (vars: Record<string, string>) => Promise<BusyService>): void {
  it('admits work, not connections: held bodies take no slot, and work beyond DESCRY_MAX_PENDING_REQUESTS gets 503', async () => {
    const service = await start({
      DESCRY_MAX_PENDING_REQUESTS: '1',
      DESCRY_MAX_IMAGE_PIXELS: String(1000 * 1000),
      DESCRY_MAX_REQUEST_PIXELS: String(8 * 1000 * 1000),
      DESCRY_MAX_BODY_BYTES: String(16 * 1024 * 1024),
    });
    const post = (body: unknown) =>
      service.fetch('/v1/classify', { method: 'POST', headers: JSON_AUTH, body: JSON.stringify(body) });
    const small = { images: [base64(solidPng(8, 8))], labels: ['cat', 'dog'] };
    // More clients than slots send their headers and hold their bodies back.
    const held = Array.from({ length: 4 }, () =>
      service.hold('/v1/embeddings', JSON.stringify({ texts: ['a cat'] })),
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      // They hold no slot: ordinary requests are answered.
      for (let i = 0; i < 3; i++) expect((await post(small)).status).toBe(200);
      // Large requests arriving together: the first admitted holds the slot while it works, and
      // the others are refused rather than queued.
      const image = base64(patternPng(700));
      const burst = await Promise.all(
        Array.from({ length: 4 }, () =>
          post({ images: Array.from({ length: 8 }, () => image), labels: ['cat', 'dog'] }),
        ),
      );
      const statuses = burst.map((response) => response.status);
      expect(statuses).toContain(200);
      expect(statuses).toContain(503);
      for (const refused of burst.filter((response) => response.status === 503)) {
        expect(refused.headers.get('retry-after')).toBe('1');
        expect(((await refused.json()) as { code: string }).code).toBe('overloaded');
      }
      // Health is not inference: it is answered meanwhile.
      expect((await service.fetch('/healthz')).status).toBe(200);
      // Each held request is admitted once its body arrives (one at a time: one slot).
      for (const request of held) {
        request.release();
        expect(await request.status).toBe(200);
      }
      expect((await post(small)).status).toBe(200);
    } finally {
      for (const request of held) request.release();
      await service.close();
    }
  });

  it('answers /healthz and a small request that arrive while a large request is running', async () => {
    const service = await start({
      DESCRY_MAX_IMAGE_PIXELS: String(1000 * 1000),
      DESCRY_MAX_REQUEST_PIXELS: String(8 * 1000 * 1000),
      DESCRY_MAX_BODY_BYTES: String(16 * 1024 * 1024),
    });
    try {
      // Warm the model so that what follows measures nothing but the work of the requests.
      const small = { images: [base64(solidPng(8, 8))], labels: ['cat', 'dog'] };
      const post = (body: unknown) =>
        service.fetch('/v1/classify', { method: 'POST', headers: JSON_AUTH, body: JSON.stringify(body) });
      expect((await post(small)).status).toBe(200);
      const finished: string[] = [];
      const image = base64(patternPng(700));
      const large = post({ images: Array.from({ length: 6 }, () => image), labels: ['cat', 'dog'] }).then(
        (response) => {
          finished.push('large');
          return response;
        },
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      const health = service.fetch('/healthz').then((response) => {
        finished.push('health');
        return response;
      });
      const smallAnswer = post(small).then((response) => {
        finished.push('small');
        return response;
      });
      const [largeResponse, healthResponse, smallResponse] = await Promise.all([large, health, smallAnswer]);
      expect(largeResponse.status, await largeResponse.clone().text()).toBe(200);
      expect(healthResponse.status).toBe(200);
      expect(smallResponse.status).toBe(200);
      expect(finished.at(-1), finished.join(' ')).toBe('large');
    } finally {
      await service.close();
    }
  });
}
