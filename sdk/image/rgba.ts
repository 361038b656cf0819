/**
 * RGBA pixel buffers: validation of caller-supplied pixels, and the RGBA → RGB step of
 * preprocessing.
 */
import { InvalidInputError } from '../errors.js';
import type { RgbaImage } from '../types.js';
import type { Backdrop } from './background.js';
import type { PixelSource } from './kernels.js';

/**
 * Decoded pixels, which may be a reduced rendering of a larger image: the JPEG decoder sets
 * `reducedFrom` when it decodes at a reduced DCT scale (./jpeg-scaled.ts). Preprocessing then
 * resizes as CLIPImageProcessor resizes the full-size image (./preprocess.ts).
 */
export interface DecodedImage extends RgbaImage {
  /**
   * The full size of the encoded image and the scale denominator it was decoded at: this raster is
   * ceil(width / scale) × ceil(height / scale), its pixel (x, y) covering the full image's
   * [x·scale, (x + 1)·scale) × [y·scale, (y + 1)·scale), so the full image covers (0, 0) to
   * (width / scale, height / scale) of it; the last column or row may lie partly outside.
   */
  reducedFrom?: { width: number; height: number; scale: number } | undefined;
}

/**
 * Checks dimensions and that `data` holds exactly width × height × 4 bytes, and that a
 * `reducedFrom` agrees with them.
 */
export function assertRgbaImage(image: DecodedImage): DecodedImage {
  const { width, height, data, reducedFrom } = image;
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
  if (reducedFrom !== undefined) {
    const { scale } = reducedFrom;
    if (
      !Number.isInteger(scale) ||
      scale < 1 ||
      Math.ceil(reducedFrom.width / scale) !== width ||
      Math.ceil(reducedFrom.height / scale) !== height
    ) {
      throw new InvalidInputError(
        'invalid_input',
        `An image reduced at 1/${scale} from ${reducedFrom.width}x${reducedFrom.height} cannot be ${width}x${height}.`,
        { details: { width, height, reducedFrom } },
      );
    }
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
