/**
 * Decoding limits, checked against the dimensions a header declares before any pixel buffer is
 * allocated: a 100-byte file must not be able to ask for gigabytes.
 */
import { ImageDecodeError } from '../errors.js';

/** Default pixel budget: 40 megapixels, far above any photo a classifier needs. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

/** Options shared by every decoder. */
export interface DecodeOptions {
  /** Largest accepted width × height. Defaults to {@link DEFAULT_MAX_PIXELS}. */
  maxPixels?: number;
  /**
   * The smallest decoded size that serves the caller: a large JPEG may then be decoded at a
   * reduced DCT scale, down to no less than this (./jpeg-scaled.ts). Without it, every image
   * decodes at its full size.
   */
  minSize?: { width: number; height: number };
  /**
   * Where the decoder puts the RGBA pixels: called once with their length (width × height × 4),
   * it returns a buffer of at least that length, every byte of which the decode overwrites. By
   * default a new buffer. A caller that drops the pixels after preprocessing can hand out a reused
   * one and skip touching fresh memory, which some hosts map slowly (on the 2-vCPU VM Descry is
   * measured on, interleaved in one process: a 640x480 JPEG's decode p25 7.4 -> 6.4 ms, a
   * 1000x1000 PNG's 23.3 -> 21.8 ms, under load; `npm run bench:preprocess`, "descry reuse").
   * PNG and TurboJPEG (Node, workerd) decode into it; the other paths copy into it.
   */
  output?: (length: number) => Uint8Array;
}

/** The buffer a decode writes `length` bytes of RGBA into ({@link DecodeOptions.output}). */
export function outputBuffer(options: DecodeOptions | undefined, length: number): Uint8Array {
  const supplied = options?.output?.(length);
  if (supplied === undefined) return new Uint8Array(length);
  if (supplied.length < length)
    throw new RangeError(`output buffer of ${supplied.length} bytes; ${length} needed`);
  return supplied.length === length ? supplied : supplied.subarray(0, length);
}

/**
 * Throws 'image_corrupt' for a zero dimension and 'image_too_large' above the pixel budget. The
 * budget counts decoded pixels: with a DCT `scale` (JPEG), ceil(width / scale) × ceil(height / scale).
 */
export function assertPixelBudget(
  format: string,
  width: number,
  height: number,
  options: DecodeOptions | undefined,
  scale = 1,
): void {
  const maxPixels = options?.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageDecodeError(
      'image_corrupt',
      `The ${format} header declares an empty ${width}x${height} image.`,
      {
        details: { format, width, height },
      },
    );
  }
  const decodedWidth = Math.ceil(width / scale);
  const decodedHeight = Math.ceil(height / scale);
  if (decodedWidth * decodedHeight > maxPixels) {
    const decoded =
      scale === 1
        ? `${width}x${height} (${width * height} pixels)`
        : `${width}x${height}, decoded at 1/${scale} as ${decodedWidth}x${decodedHeight} (${decodedWidth * decodedHeight} pixels)`;
    throw new ImageDecodeError(
      'image_too_large',
      `The ${format} image is ${decoded}; the limit is ${maxPixels} pixels.`,
      { details: { format, width, height, scale, maxPixels } },
    );
  }
}

/** Wraps whatever a third-party decoder threw into a typed 'image_corrupt' error. */
export function corruptImage(format: string, cause: unknown): ImageDecodeError {
  if (cause instanceof ImageDecodeError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new ImageDecodeError('image_corrupt', `The ${format} data is truncated or corrupt: ${reason}`, {
    cause,
    details: { format },
  });
}
