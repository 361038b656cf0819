/**
 * RGBA pixel buffers: validation of caller-supplied pixels, and the RGBA → RGB step of
 * preprocessing.
 */
import { InvalidInputError } from '../errors.js';
import type { RgbaImage } from '../types.js';
import type { Backdrop } from './background.js';
import type { PixelSource } from './kernels.js';

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
 * An RGBA image as preprocessing reads it, RGB conversion included: with 'drop', alpha is skipped,
 * as Hugging Face's convert_to_rgb does through PIL's `image.convert('RGB')`; with a colour, a row
 * that has any transparency is composited onto it as Pillow's `alpha_composite` does
 * (./background.ts; the kernels in ./kernels.ts do it row by row). Opaque rows are read as they are,
 * so no full-size RGB copy is ever made.
 */
export function rgbaSource(image: RgbaImage, backdrop: Backdrop): PixelSource {
  const data =
    image.data instanceof Uint8Array
      ? image.data
      : new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return {
    width: image.width,
    height: image.height,
    stride: 4,
    data,
    backdrop: backdrop === 'drop' ? undefined : backdrop,
  };
}
