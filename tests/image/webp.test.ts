/**
 * WebP decoding in whichever runtime runs the tests: importing 'descry' (the runtime's entry
 * point) is what hands the precompiled wasm to the decoder on workerd.
 */
import 'descry';
import { ImageDecodeError } from 'descry';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../sdk/image/decode.js';
import { expectDescryError, fromBase64 } from './expect-error.js';
import { LOSSLESS_RGBA, WEBP_LOSSLESS_8X6, WEBP_LOSSY_8X6 } from './samples.js';

describe('WebP decoding', () => {
  it('decodes lossless WebP with alpha to the exact pixels', async () => {
    const image = await decodeImage(fromBase64(WEBP_LOSSLESS_8X6));
    expect([image.width, image.height]).toEqual([8, 6]);
    expect(Array.from(image.data)).toEqual(LOSSLESS_RGBA);
  });

  it('decodes lossy WebP to an opaque image of the declared size', async () => {
    const image = await decodeImage(fromBase64(WEBP_LOSSY_8X6));
    expect([image.width, image.height]).toEqual([8, 6]);
    expect(image.data.length).toBe(8 * 6 * 4);
    expect(image.data.filter((_, i) => i % 4 === 3).every((alpha) => alpha === 255)).toBe(true);
  });

  it('truncated or damaged WebP: image_corrupt, and the decoder keeps working afterwards', async () => {
    const lossy = fromBase64(WEBP_LOSSY_8X6);
    for (const length of [30, 60, lossy.length - 10]) {
      await expectDescryError(
        () => decodeImage(lossy.subarray(0, length)),
        ImageDecodeError,
        'image_corrupt',
      );
    }
    const damaged = fromBase64(WEBP_LOSSLESS_8X6);
    damaged.fill(0xff, 25, 60);
    await expectDescryError(() => decodeImage(damaged), ImageDecodeError, 'image_corrupt');
    await expect(decodeImage(fromBase64(WEBP_LOSSLESS_8X6))).resolves.toMatchObject({ width: 8, height: 6 });
  });
});
