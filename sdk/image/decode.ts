/**
 * Encoded bytes to RGBA: sniff the format, then hand the bytes to that format's decoder, which
 * checks the declared size before it allocates anything.
 */
import { ImageDecodeError } from '../errors.js';
import type { RgbaImage } from '../types.js';
import { sniffFormat } from './format.js';
import { decodeJpeg } from './jpeg.js';
import type { DecodeOptions } from './limits.js';
import { decodePng } from './png.js';
import { decodeWebp } from './webp.js';

/**
 * Decodes PNG, JPEG or WebP bytes to 8-bit RGBA.
 *
 * @throws ImageDecodeError 'image_empty', 'image_unsupported_format', 'image_too_large' or 'image_corrupt'.
 */
export async function decodeImage(bytes: Uint8Array, options?: DecodeOptions): Promise<RgbaImage> {
  if (bytes.length === 0) throw new ImageDecodeError('image_empty', 'The image is empty (0 bytes).');
  const sniffed = sniffFormat(bytes);
  if (sniffed.kind === 'refused') {
    throw new ImageDecodeError(
      'image_unsupported_format',
      `${sniffed.format.toUpperCase()} images are not supported; send PNG, JPEG or WebP.`,
      { details: { format: sniffed.format } },
    );
  }
  if (sniffed.kind === 'unknown') {
    throw new ImageDecodeError(
      'image_unsupported_format',
      'The data is not a recognised image format; send PNG, JPEG or WebP.',
      {
        details: {
          firstBytes: Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' '),
        },
      },
    );
  }
  switch (sniffed.format) {
    case 'png':
      return await decodePng(bytes, options);
    case 'jpeg':
      return await decodeJpeg(bytes, options);
    case 'webp':
      return await decodeWebp(bytes, options);
  }
}
