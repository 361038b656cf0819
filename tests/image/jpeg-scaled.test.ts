// The runtime's entry point: on workerd it hands the JPEG decoders their precompiled wasm.
import 'descry';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError } from '../../sdk/errors.js';
import { decodeImage } from '../../sdk/image/decode.js';
import { jpegScale } from '../../sdk/image/jpeg-scaled.js';
import { probeImage } from '../../sdk/image/probe.js';
import { expectDescryError, fromBase64 } from './expect-error.js';
import { JPEG_8X6, JPEG_PROGRESSIVE_420_8X6 } from './samples.js';

describe('jpegScale: the largest DCT scale that keeps the decode at least the size asked for', () => {
  it('reduces photos far larger than the model needs, and leaves the others alone', () => {
    expect(jpegScale(4032, 3024, 448, 448)).toBe(4); // 1008x756
    expect(jpegScale(8000, 6000, 448, 448)).toBe(8); // 1000x750
    expect(jpegScale(640, 480, 448, 448)).toBe(1);
    expect(jpegScale(1000, 1000, 448, 448)).toBe(2); // 500x500
    expect(jpegScale(900, 500, 448, 448)).toBe(1); // 250 would be too short
    expect(jpegScale(1001, 750, 128, 128)).toBe(4); // libjpeg rounds up: 251x188
    expect(jpegScale(2100, 1100, 80, 96)).toBe(8);
  });
});

describe('decoding at a reduced DCT scale', () => {
  const full = async (base64: string) => decodeImage(fromBase64(base64));

  it('decodes at 1/2 when allowed, close to the 2x2 means of the full decode', async () => {
    for (const sample of [JPEG_8X6, JPEG_PROGRESSIVE_420_8X6]) {
      const reduced = await decodeImage(fromBase64(sample), { minSize: { width: 4, height: 3 } });
      expect([reduced.width, reduced.height]).toEqual([4, 3]);
      // So that preprocessing resizes it as the full image (./reference.test.ts).
      expect(reduced.reducedFrom).toEqual({ width: 8, height: 6, scale: 2 });
      const big = await full(sample);
      let worst = 0;
      for (let y = 0; y < 3; y++) {
        for (let x = 0; x < 4; x++) {
          for (let c = 0; c < 3; c++) {
            const at = (yy: number, xx: number) => big.data[(yy * 8 + xx) * 4 + c]!;
            const mean =
              (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) / 4;
            worst = Math.max(worst, Math.abs(reduced.data[(y * 4 + x) * 4 + c]! - mean));
          }
        }
      }
      // An 8x8 IDCT scaled to 4x4 is a low-pass reduction, not an exact box filter of the full decode.
      expect(worst).toBeLessThan(48);
      expect(reduced.data.filter((_, i) => i % 4 === 3).every((a) => a === 255)).toBe(true);
    }
  });

  it('decodes at full size when no smaller size is allowed', async () => {
    const image = await decodeImage(fromBase64(JPEG_8X6), { minSize: { width: 5, height: 3 } });
    expect([image.width, image.height]).toEqual([8, 6]);
    expect(image.reducedFrom).toBeUndefined();
  });

  it('gives a damaged file the same answer as the full decode: image_corrupt', async () => {
    const jpeg = fromBase64(JPEG_8X6).slice();
    const sof = jpeg.findIndex((byte, i) => byte === 0xff && jpeg[i + 1] === 0xc0);
    jpeg.set([0, 12, 0, 16], sof + 5); // 8x6 data declared as 16x12: libjpeg warns, then pads
    const error = await expectDescryError(
      () => decodeImage(jpeg, { minSize: { width: 2, height: 2 } }),
      ImageDecodeError,
      'image_corrupt',
    );
    expect(error.message).toMatch(/premature end of data segment/);
    const garbled = fromBase64(JPEG_8X6).slice();
    const dht = garbled.findIndex((byte, i) => byte === 0xff && garbled[i + 1] === 0xc4);
    garbled.fill(0xff, dht + 5, dht + 21);
    await expectDescryError(
      () => decodeImage(garbled, { minSize: { width: 2, height: 2 } }),
      ImageDecodeError,
      'image_corrupt',
    );
    // And the scaled decoder still works afterwards.
    const again = await decodeImage(fromBase64(JPEG_8X6), { minSize: { width: 4, height: 3 } });
    expect(again.width).toBe(4);
  });
});

describe('the pixel budget counts the pixels a JPEG is decoded at', () => {
  const jpeg = () => fromBase64(JPEG_8X6);
  const half = { width: 4, height: 3 };

  it('accepts a JPEG over the budget at full size when its reduced decode fits', async () => {
    const image = await decodeImage(jpeg(), { minSize: half, maxPixels: 12 });
    expect([image.width, image.height]).toEqual([4, 3]);
    expect(probeImage(jpeg(), { minSize: half }).decoded).toEqual(half);
    expect(probeImage(jpeg()).decoded).toEqual({ width: 8, height: 6 });
  });

  it('refuses it, naming both sizes, when even the reduced decode is over the budget', async () => {
    const error = await expectDescryError(
      () => decodeImage(jpeg(), { minSize: half, maxPixels: 11 }),
      ImageDecodeError,
      'image_too_large',
    );
    expect(error.message).toContain('8x6, decoded at 1/2 as 4x3 (12 pixels)');
    await expectDescryError(
      () => decodeImage(jpeg(), { maxPixels: 12 }),
      ImageDecodeError,
      'image_too_large',
    );
  });

  it('checks the full size before falling back to a full decode', async () => {
    // A header that lies (8x6 data declared as 16x12): the reduced decode warns, so decoding would
    // fall back to the full 16x12 decode, which this budget does not allow.
    const lying = jpeg().slice();
    const sof = lying.findIndex((byte, i) => byte === 0xff && lying[i + 1] === 0xc0);
    lying.set([0, 12, 0, 16], sof + 5);
    const error = await expectDescryError(
      () => decodeImage(lying, { minSize: { width: 8, height: 6 }, maxPixels: 48 }),
      ImageDecodeError,
      'image_too_large',
    );
    expect(error.message).toContain('16x12 (192 pixels)');
  });
});
