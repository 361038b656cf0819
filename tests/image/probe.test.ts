/** probeImage: format, declared size and transparency from headers, without decoding pixels. */
// The runtime's entry point: on workerd it hands the WebP decoder its precompiled wasm.
import 'descry';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError } from '../../sdk/errors.js';
import { decodeImage } from '../../sdk/image/decode.js';
import { probeImage } from '../../sdk/image/probe.js';
import { expectDescryError, fromBase64 } from './expect-error.js';
import { GIF_8X6, JPEG_8X6, JPEG_PROGRESSIVE_420_8X6, WEBP_LOSSLESS_8X6, WEBP_LOSSY_8X6 } from './samples.js';

const png = (channels: 1 | 2 | 3 | 4, width = 5, height = 3) =>
  encode({ width, height, channels, data: new Uint8Array(width * height * channels).fill(200) });

/** Inserts a tRNS chunk (CRC unchecked by the probe) right after IHDR. */
function withTrns(bytes: Uint8Array): Uint8Array {
  const chunk = [0, 0, 0, 6, ...new TextEncoder().encode('tRNS'), 0, 1, 0, 2, 0, 3, 0, 0, 0, 0];
  return new Uint8Array([...bytes.subarray(0, 33), ...chunk, ...bytes.subarray(33)]);
}

describe('probeImage', () => {
  it('reads PNG size and alpha from IHDR and tRNS', () => {
    expect(probeImage(png(3, 7, 4))).toEqual({
      format: 'png',
      width: 7,
      height: 4,
      hasAlpha: false,
      decoded: { width: 7, height: 4 },
      decoderBytes: expect.any(Number),
    });
    expect(probeImage(png(4)).hasAlpha).toBe(true);
    expect(probeImage(png(2)).hasAlpha).toBe(true);
    expect(probeImage(png(1)).hasAlpha).toBe(false);
    expect(probeImage(withTrns(png(3))).hasAlpha).toBe(true);
  });

  it('reads JPEG and WebP sizes; JPEG has no alpha, lossless WebP flags it', async () => {
    expect(probeImage(fromBase64(JPEG_8X6))).toEqual({
      format: 'jpeg',
      width: 8,
      height: 6,
      hasAlpha: false,
      decoded: { width: 8, height: 6 },
      decoderBytes: expect.any(Number),
    });
    expect(probeImage(fromBase64(WEBP_LOSSY_8X6))).toEqual({
      format: 'webp',
      width: 8,
      height: 6,
      hasAlpha: false,
      decoded: { width: 8, height: 6 },
      decoderBytes: expect.any(Number),
    });
    const lossless = fromBase64(WEBP_LOSSLESS_8X6);
    expect(probeImage(lossless)).toEqual({
      format: 'webp',
      width: 8,
      height: 6,
      hasAlpha: true,
      decoded: { width: 8, height: 6 },
      decoderBytes: expect.any(Number),
    });
    const decoded = await decodeImage(lossless);
    expect(decoded.data.some((value, i) => i % 4 === 3 && value < 255)).toBe(true);
  });

  it('reads a VP8X header: size, alpha flag, and refuses animation', async () => {
    const vp8x = (flags: number) => {
      const bytes = new Uint8Array(40);
      bytes.set(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8X'));
      bytes[20] = flags;
      bytes.set([99, 0, 0, 49, 0, 0], 24); // 100 x 50
      return bytes;
    };
    expect(probeImage(vp8x(0x10))).toEqual({
      format: 'webp',
      width: 100,
      height: 50,
      hasAlpha: true,
      decoded: { width: 100, height: 50 },
      decoderBytes: expect.any(Number),
    });
    expect(probeImage(vp8x(0)).hasAlpha).toBe(false);
    await expectDescryError(() => probeImage(vp8x(0x02)), ImageDecodeError, 'image_unsupported_format');
  });

  it('reports the size a header declares, however large, without decoding it', () => {
    const huge = png(4, 3, 2);
    const view = new DataView(huge.buffer, huge.byteOffset);
    view.setUint32(16, 100_000);
    view.setUint32(20, 90_000);
    const started = performance.now();
    expect(probeImage(huge)).toMatchObject({ width: 100_000, height: 90_000 });
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('refuses what decoding would refuse at the header, with the same codes', async () => {
    await expectDescryError(() => probeImage(new Uint8Array(0)), ImageDecodeError, 'image_empty');
    await expectDescryError(
      () => probeImage(fromBase64(GIF_8X6)),
      ImageDecodeError,
      'image_unsupported_format',
    );
    await expectDescryError(
      () => probeImage(new Uint8Array(20).fill(7)),
      ImageDecodeError,
      'image_unsupported_format',
    );
    await expectDescryError(() => probeImage(png(3).subarray(0, 20)), ImageDecodeError, 'image_corrupt');
    const empty = png(3);
    new DataView(empty.buffer, empty.byteOffset).setUint32(16, 0);
    await expectDescryError(() => probeImage(empty), ImageDecodeError, 'image_corrupt');
    const noFrame = fromBase64(JPEG_8X6).subarray(0, 30);
    await expectDescryError(() => probeImage(noFrame), ImageDecodeError, 'image_corrupt');
  });

  it('counts the full-size coefficients of a huge progressive JPEG decoded at 1/8, from the headers', () => {
    /** The sample JPEG with its frame header relabelled to `side` x `side`. */
    const relabelled = (sample: string, sof: number, side: number) => {
      const bytes = fromBase64(sample).slice();
      const at = bytes.findIndex((value, i) => value === 0xff && bytes[i + 1] === sof);
      bytes.set([side >> 8, side & 255, side >> 8, side & 255], at + 5);
      return bytes;
    };
    const minSize = { width: 448, height: 448 };
    const progressive = probeImage(relabelled(JPEG_PROGRESSIVE_420_8X6, 0xc2, 11584), { minSize });
    expect(progressive.decoded).toEqual({ width: 1448, height: 1448 });
    // libjpeg buffers every coefficient at full size: 11584^2 x 1.5 samples (4:2:0) x 2 bytes.
    expect(progressive.decoderBytes).toBeGreaterThan(11584 * 11584 * 1.5 * 2);
    // A baseline JPEG of that size decoded at 1/8 needs little more than its decoded RGBA.
    const baseline = probeImage(relabelled(JPEG_8X6, 0xc0, 11584), { minSize });
    expect(baseline.decoded).toEqual({ width: 1448, height: 1448 });
    expect(baseline.decoderBytes).toBeGreaterThan(1448 * 1448 * 4);
    expect(baseline.decoderBytes).toBeLessThan(progressive.decoderBytes / 10);
  });
});
