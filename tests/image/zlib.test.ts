/**
 * The PNG zlib layer, both implementations: the one the runtime's entry point installs (Node's
 * native zlib in Node; in workerd the portable one) and the portable one (fflate, used in browsers
 * and workerd). Each inflates to exactly the declared size or refuses.
 */
import 'descry';
import { describe, expect, it } from 'vitest';
import { InflateError, type PngZlib, pngZlib, portableZlib } from '../../sdk/image/zlib.js';

async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes.slice()]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const payload = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) % 251);

function failure(run: () => unknown): InflateError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InflateError);
    return error as InflateError;
  }
  throw new Error('expected an InflateError');
}

const implementations: [string, () => Promise<PngZlib>][] = [
  ['runtime', async () => pngZlib()],
  ['portable', async () => portableZlib],
];

describe.each(implementations)('%s zlib', (_name, load) => {
  it('inflates a stream split over several parts to exactly the declared bytes', async () => {
    const zlib = await load();
    const stream = await deflate(payload);
    const parts = [stream.subarray(0, 3), stream.subarray(3, 100), stream.subarray(100)];
    expect(Array.from(zlib.inflateExactly(parts, payload.length))).toEqual(Array.from(payload));
  });

  it('tolerates junk after a complete stream, as libpng does', async () => {
    const zlib = await load();
    const stream = await deflate(payload);
    const out = zlib.inflateExactly([stream, new Uint8Array([1, 2, 3, 4])], payload.length);
    expect(out.length).toBe(payload.length);
  });

  it('stops a decompression bomb at the first byte past the declared size', async () => {
    const zlib = await load();
    const bomb = await deflate(new Uint8Array(16 * 2 ** 20));
    expect(bomb.length).toBeLessThan(40_000);
    const error = failure(() => zlib.inflateExactly([bomb], 410));
    expect(error.kind).toBe('long');
    expect(error.message).toMatch(/inflates past the 410 bytes/);
  });

  it('refuses a stream that ends short, saying how far it got', async () => {
    const zlib = await load();
    const short = await deflate(payload.subarray(0, 369));
    const error = failure(() => zlib.inflateExactly([short], 410));
    expect(error.kind).toBe('short');
    expect(error.message).toMatch(/ends after 369 of the 410 bytes/);
  });

  it('refuses a truncated or garbled stream', async () => {
    const zlib = await load();
    const stream = await deflate(payload);
    expect(['short', 'invalid']).toContain(
      failure(() => zlib.inflateExactly([stream.subarray(0, stream.length >> 1)], payload.length)).kind,
    );
    const garbled = stream.slice();
    garbled.fill(0xff, 2, 40);
    failure(() => zlib.inflateExactly([garbled], payload.length));
  });

  it('computes PNG CRC-32', async () => {
    const zlib = await load();
    expect(zlib.crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(zlib.crc32(new Uint8Array(0))).toBe(0);
    expect(zlib.crc32(payload)).toBe(portableZlib.crc32(payload));
  });
});

describe('the installed zlib', () => {
  it("is Node's native one in Node and the portable one elsewhere", () => {
    const isNode =
      typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node ===
      'string';
    // workerd's vitest pool emulates parts of process; its navigator says which runtime it is.
    const isWorkerd = globalThis.navigator?.userAgent === 'Cloudflare-Workers';
    expect(pngZlib() === portableZlib).toBe(!isNode || isWorkerd);
  });
});
