/**
 * Encoded bytes to RGBA: sniff the format, then hand the bytes to that format's decoder, which
 * checks the declared size before it allocates anything.
 */
import { decodeJpeg } from './jpeg.js';
import type { DecodeOptions } from './limits.js';
import { decodePng } from './png.js';
import { supportedFormat } from './probe.js';
import type { DecodedImage } from './rgba.js';
import { decodeWebp } from './webp.js';

/**
 * Decodes PNG, JPEG or WebP bytes to 8-bit RGBA (a JPEG reduced at a DCT scale says so in
 * `reducedFrom`).
 *
 * @throws ImageDecodeError 'image_empty', 'image_unsupported_format', 'image_too_large' or 'image_corrupt'.
 */
export async function decodeImage(bytes: Uint8Array, options?: DecodeOptions): Promise<DecodedImage> {
  switch (supportedFormat(bytes)) {
    case 'png':
      return await decodePng(bytes, options);
    case 'jpeg':
      return await decodeJpeg(bytes, options);
    case 'webp':
      return await decodeWebp(bytes, options);
  }
}
