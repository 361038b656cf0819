/**
 * The SIMD compositing kernel against Pillow's alpha_composite arithmetic (compositeChannel, which
 * tests/image/fixtures.node.test.ts checks against Pillow itself) for every value, alpha and
 * background level: an identity-size resize runs the kernel and nothing else.
 */
import 'descry';
import { describe, expect, it } from 'vitest';
import { compositeChannel } from '../../sdk/image/background.js';
import { Resample, resizeWindow } from '../../sdk/image/resize.js';
import { rgbaSource } from '../../sdk/image/rgba.js';

describe('alpha compositing kernel', () => {
  it('equals Pillow arithmetic for every value x alpha x background', () => {
    // One row per alpha, one column per value: R = v, G = 255 - v, B = v ^ 0x5a.
    const data = new Uint8Array(256 * 256 * 4);
    for (let a = 0; a < 256; a++) {
      for (let v = 0; v < 256; v++) {
        const i = (a * 256 + v) * 4;
        data.set([v, 255 - v, v ^ 0x5a, a], i);
      }
    }
    const image = { width: 256, height: 256, data };
    const window = { left: 0, top: 0, width: 256, height: 256 };
    let mismatches = 0;
    for (let bg = 0; bg < 256; bg++) {
      const backdrop = [bg, 255 - bg, bg ^ 0xa5] as const;
      const out = resizeWindow(rgbaSource(image, backdrop), 256, 256, Resample.BICUBIC, window).data;
      for (let a = 0; a < 256; a++) {
        for (let v = 0; v < 256; v++) {
          const o = (a * 256 + v) * 3;
          const src = [v, 255 - v, v ^ 0x5a];
          for (let c = 0; c < 3; c++) {
            if (out[o + c] !== compositeChannel(src[c]!, a, backdrop[c]!)) mismatches++;
          }
        }
      }
    }
    expect(mismatches).toBe(0);
  });

  it("leaves pixels as stored with 'drop'", () => {
    const data = new Uint8Array([10, 20, 30, 0, 40, 50, 60, 128]);
    const out = resizeWindow(rgbaSource({ width: 2, height: 1, data }, 'drop'), 2, 1, Resample.BICUBIC, {
      left: 0,
      top: 0,
      width: 2,
      height: 1,
    });
    expect([...out.data]).toEqual([10, 20, 30, 40, 50, 60]);
  });
});
