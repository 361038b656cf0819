/**
 * RGBA pixel buffers: validation of caller-supplied pixels, and the RGBA → RGB step of
 * preprocessing.
 */
import { InvalidInputError } from '../errors.js';
import type { RgbaImage } from '../types.js';
import { type Backdrop, compositeChannel } from './background.js';
import type { Raster } from './resize.js';

/** Checks dimensions and that `data` holds exactly width × height × 4 bytes. */
export function assertRgbaImage(image: RgbaImage): RgbaImage {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InvalidInputError(
      'invalid_input',
      `RGBA image dimensions must be positive integers, got ${width}x${height}.`,
      { details: { width, height } },
    );
  }
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new InvalidInputError(
      'invalid_input',
      'RGBA image data must be a Uint8Array or Uint8ClampedArray.',
    );
  }
  if (data.length !== width * height * 4) {
    throw new InvalidInputError(
      'invalid_input',
      `RGBA image data has ${data.length} bytes; ${width}x${height}x4 = ${width * height * 4} expected.`,
      { details: { width, height, length: data.length, expected: width * height * 4 } },
    );
  }
  return image;
}

/**
 * RGBA to RGB, the first step of preprocessing: with 'drop', alpha is ignored as Hugging Face's
 * convert_to_rgb does through PIL's `image.convert('RGB')`; with a colour, every pixel is
 * composited onto it as Pillow's `alpha_composite` does (./background.ts).
 */
export function rgbaToRgb(image: RgbaImage, backdrop: Backdrop): Raster {
  const { width, height, data } = image;
  const out = new Uint8Array(width * height * 3);
  if (backdrop === 'drop') {
    for (let p = 0, o = 0; o < out.length; p += 4, o += 3) {
      out[o] = data[p]!;
      out[o + 1] = data[p + 1]!;
      out[o + 2] = data[p + 2]!;
    }
  } else {
    const [r, g, b] = backdrop;
    for (let p = 0, o = 0; o < out.length; p += 4, o += 3) {
      const alpha = data[p + 3]!;
      if (alpha === 255) {
        out[o] = data[p]!;
        out[o + 1] = data[p + 1]!;
        out[o + 2] = data[p + 2]!;
      } else {
        out[o] = compositeChannel(data[p]!, alpha, r);
        out[o + 1] = compositeChannel(data[p + 1]!, alpha, g);
        out[o + 2] = compositeChannel(data[p + 2]!, alpha, b);
      }
    }
  }
  return { width, height, channels: 3, data: out };
}
