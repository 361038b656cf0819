/**
 * RGBA pixel buffers: validation of caller-supplied pixels, and the RGBA → RGB step of
 * preprocessing.
 */
import { InvalidInputError } from '../errors.js';
import type { RgbaImage } from '../types.js';
import { type Backdrop, compositeChannel } from './background.js';
import type { RowSource, SourceRow } from './resize.js';

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
 * The rows of an RGBA image as preprocessing reads them, RGB conversion included: with 'drop',
 * alpha is skipped in place, as Hugging Face's convert_to_rgb does through PIL's
 * `image.convert('RGB')`; with a colour, a row that has any transparency is composited onto it as
 * Pillow's `alpha_composite` does (./background.ts), into one reused row buffer. Opaque rows are
 * read in place either way, so no full-size RGB copy is ever made.
 */
export function rgbaRows(image: RgbaImage, backdrop: Backdrop): RowSource {
  const { width, height } = image;
  const data =
    image.data instanceof Uint8Array
      ? image.data
      : new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  const inPlace: SourceRow = { data, offset: 0, stride: 4 };
  if (backdrop === 'drop') {
    return {
      width,
      height,
      row(y) {
        inPlace.offset = y * width * 4;
        return inPlace;
      },
    };
  }
  const [r, g, b] = backdrop;
  const flattened: SourceRow = { data: new Uint8Array(width * 3), offset: 0, stride: 3 };
  const out = flattened.data;
  return {
    width,
    height,
    row(y) {
      const start = y * width * 4;
      const end = start + width * 4;
      let opaque = true;
      for (let i = start + 3; i < end; i += 4) {
        if (data[i] !== 255) {
          opaque = false;
          break;
        }
      }
      if (opaque) {
        inPlace.offset = start;
        return inPlace;
      }
      for (let p = start, o = 0; p < end; p += 4, o += 3) {
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
      return flattened;
    },
  };
}
