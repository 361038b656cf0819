/**
 * JPEG decoding with jpeg-js (baseline and progressive; greyscale, YCbCr, CMYK/YCCK), normalised to
 * 8-bit RGBA. jpeg-js is pure JavaScript, so it runs unchanged in Node, browsers and workerd.
 */
import jpeg from 'jpeg-js';
import type { RgbaImage } from '../types.js';
import { assertPixelBudget, corruptImage, DEFAULT_MAX_PIXELS, type DecodeOptions } from './limits.js';

/** Start-of-frame markers: every SOFn except DHT (C4), JPG (C8) and DAC (CC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Finds the frame header by walking marker segments, without decoding any scan data. */
export function readJpegSize(bytes: Uint8Array): { width: number; height: number } {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) throw corruptImage('JPEG', new Error(`expected a marker at byte ${offset}`));
    const marker = bytes[offset + 1] ?? 0;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    const length = ((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0);
    if (isStartOfFrame(marker)) {
      if (offset + 9 > bytes.length) break;
      const height = ((bytes[offset + 5] ?? 0) << 8) | (bytes[offset + 6] ?? 0);
      const width = ((bytes[offset + 7] ?? 0) << 8) | (bytes[offset + 8] ?? 0);
      return { width, height };
    }
    if (marker === 0xda || marker === 0xd9 || length < 2) break;
    offset += 2 + length;
  }
  throw corruptImage('JPEG', new Error('no frame header (SOF) before the image data'));
}

/** Decodes JPEG bytes to 8-bit RGBA after checking the declared size against the pixel budget. */
export function decodeJpeg(bytes: Uint8Array, options?: DecodeOptions): RgbaImage {
  const { width, height } = readJpegSize(bytes);
  assertPixelBudget('JPEG', width, height, options);
  const maxPixels = options?.maxPixels ?? DEFAULT_MAX_PIXELS;
  try {
    const decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      // Partial decodes of truncated files would silently classify half-grey images.
      tolerantDecoding: false,
      maxResolutionInMP: maxPixels / 1e6,
      // Output (4 B/px) plus component planes and coefficient blocks stay well under 16 B/px.
      maxMemoryUsageInMB: Math.max(64, Math.ceil((maxPixels * 16) / 2 ** 20)),
    });
    if (decoded.data.length !== decoded.width * decoded.height * 4) {
      throw new Error('decoder returned a wrong-sized buffer');
    }
    return { width: decoded.width, height: decoded.height, data: decoded.data };
  } catch (error) {
    throw corruptImage('JPEG', error);
  }
}
