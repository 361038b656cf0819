// The kernels' wasm: on workerd only the entry point can supply it (compiled by wrangler).
import 'descry';
import { describe, expect, it } from 'vitest';
import { type Raster, Resample, resize } from '../../sdk/image/resize.js';
import { PILLOW_RESIZES, RESIZE_SOURCE } from './samples.js';

const source: Raster = { width: 7, height: 5, channels: 3, data: Uint8Array.from(RESIZE_SOURCE) };

describe('resize reproduces Pillow bit for bit', () => {
  for (const { width, height, resample, pixels } of PILLOW_RESIZES) {
    it(`7x5 → ${width}x${height} with filter ${resample}`, () => {
      const out = resize(source, width, height, resample);
      expect([out.width, out.height, out.channels]).toEqual([width, height, 3]);
      expect(Array.from(out.data)).toEqual(pixels);
    });
  }
});

describe('resize invariants', () => {
  it('keeps a flat image flat under every filter, up and down', () => {
    const flat: Raster = { width: 9, height: 4, channels: 3, data: new Uint8Array(9 * 4 * 3).fill(173) };
    for (const filter of Object.values(Resample)) {
      for (const [w, h] of [
        [3, 2],
        [20, 11],
        [9, 13],
      ] as const) {
        expect(resize(flat, w, h, filter).data.every((v) => v === 173)).toBe(true);
      }
    }
  });

  it('clips bicubic overshoot at hard edges to 0..255 instead of wrapping', () => {
    const edge = new Uint8Array(8 * 3);
    edge.fill(255, 12);
    const out = resize({ width: 8, height: 1, channels: 3, data: edge }, 29, 1, Resample.BICUBIC);
    expect(out.data.some((v) => v === 0)).toBe(true);
    expect(out.data.some((v) => v === 255)).toBe(true);
    // A wrapped overshoot would put bright values on the dark side of the edge.
    expect(Array.from(out.data.subarray(0, 30)).every((v) => v < 128)).toBe(true);
  });

  it('returns the input unchanged when the size does not change', () => {
    expect(resize(source, 7, 5, Resample.BICUBIC)).toBe(source);
  });

  it('refuses non-integer or empty targets', () => {
    expect(() => resize(source, 0, 5, Resample.BICUBIC)).toThrow(RangeError);
    expect(() => resize(source, 2.5, 5, Resample.BICUBIC)).toThrow(RangeError);
  });
});
