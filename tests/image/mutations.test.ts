/**
 * Randomly damaged images (seeded, so every run sees the same inputs) must decode or fail with a
 * typed error: never an untyped exception, a RangeError or a hang.
 */
import 'descry';
import { DescryError } from 'descry';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../sdk/image/decode.js';
import { fromBase64 } from './expect-error.js';
import { JPEG_8X6, JPEG_CMYK_8X8, WEBP_LOSSLESS_8X6, WEBP_LOSSY_8X6 } from './samples.js';

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

const png = encode({
  width: 12,
  height: 9,
  data: Uint8Array.from({ length: 12 * 9 * 4 }, (_, i) => (i * 97) % 256),
  channels: 4,
});
const interlaced = encode(
  {
    width: 12,
    height: 9,
    data: Uint8Array.from({ length: 12 * 9 * 3 }, (_, i) => (i * 31) % 256),
    channels: 3,
  },
  { interlace: 'Adam7' },
);

const samples: Record<string, Uint8Array> = {
  png,
  interlaced,
  jpeg: fromBase64(JPEG_8X6),
  cmyk: fromBase64(JPEG_CMYK_8X8),
  webpLossy: fromBase64(WEBP_LOSSY_8X6),
  webpLossless: fromBase64(WEBP_LOSSLESS_8X6),
};

describe('damaged images fail cleanly', () => {
  for (const [name, original] of Object.entries(samples)) {
    it(name, async () => {
      const next = random(name.length * 7919 + original.length);
      const outcomes = new Set<string>();
      for (let round = 0; round < 150; round++) {
        const bytes = original.slice();
        const flips = 1 + Math.floor(next() * 6);
        for (let k = 0; k < flips; k++) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
        const length = next() < 0.3 ? Math.floor(next() * bytes.length) : bytes.length;
        try {
          const image = await decodeImage(bytes.subarray(0, length), { maxPixels: 1_000_000 });
          expect(image.data.length).toBe(image.width * image.height * 4);
          outcomes.add('decoded');
        } catch (error) {
          expect(error).toBeInstanceOf(DescryError);
          outcomes.add((error as DescryError).code);
        }
      }
      // Damage must actually have been detected, or the test proves nothing.
      expect(outcomes.size).toBeGreaterThan(1);
    });
  }
});
