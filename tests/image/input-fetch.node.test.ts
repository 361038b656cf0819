/** http(s) inputs against a real HTTP server on 127.0.0.1. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ImageDecodeError } from 'descry';
import { encode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toRgba } from '../../sdk/image/input.js';
import { expectDescryError } from './expect-error.js';

const pixels = Uint8Array.from({ length: 4 * 5 * 4 }, (_, i) => (i * 53 + 7) % 256);
const png = encode({ width: 4, height: 5, data: pixels, channels: 4 });

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    switch (request.url) {
      case '/image.png':
        response.writeHead(200, { 'content-type': 'image/png' }).end(png);
        return;
      case '/declared-big':
        response.writeHead(200, { 'content-length': String(png.length) }).end(png);
        return;
      case '/streamed-big':
        // No content-length: the cap must apply while reading.
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        for (let i = 0; i < 20; i++) response.write(new Uint8Array(1000));
        response.end();
        return;
      case '/text':
        response.writeHead(200, { 'content-type': 'text/html' }).end('<html>not an image</html>');
        return;
      case '/forbidden':
        response.writeHead(403).end('no');
        return;
      default:
        response.writeHead(404).end('missing');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('toRgba over http', () => {
  it('downloads and decodes an image, from a string or a URL', async () => {
    for (const input of [`${base}/image.png`, new URL('/image.png', base)]) {
      const image = await toRgba(input);
      expect([image.width, image.height]).toEqual([4, 5]);
      expect(Array.from(image.data)).toEqual(Array.from(pixels));
    }
  });

  it('non-2xx answers: image_fetch_failed with the status', async () => {
    for (const [path, status] of [
      ['/missing.png', 404],
      ['/forbidden', 403],
    ] as const) {
      const error = await expectDescryError(
        () => toRgba(`${base}${path}`),
        ImageDecodeError,
        'image_fetch_failed',
      );
      expect(error.details).toMatchObject({ status });
    }
  });

  it('an unreachable server: image_fetch_failed', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expectDescryError(
      () => toRgba(`http://127.0.0.1:${port}/x.png`),
      ImageDecodeError,
      'image_fetch_failed',
    );
  });

  it('bodies over maxBytes, declared or streamed: image_too_large', async () => {
    await expectDescryError(
      () => toRgba(`${base}/declared-big`, { maxBytes: png.length - 1 }),
      ImageDecodeError,
      'image_too_large',
    );
    await expectDescryError(
      () => toRgba(`${base}/streamed-big`, { maxBytes: 5000 }),
      ImageDecodeError,
      'image_too_large',
    );
  });

  it('a 200 answer that is not an image: image_unsupported_format', async () => {
    await expectDescryError(() => toRgba(`${base}/text`), ImageDecodeError, 'image_unsupported_format');
  });
});
