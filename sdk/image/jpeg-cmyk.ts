/**
 * Four-component (Adobe CMYK/YCCK) JPEG decoding with jpeg-js, which MozJPEG's wasm build cannot
 * do (it only converts to RGB from greyscale, YCbCr and RGB). jpeg-js inverts Adobe's CMYK the
 * way Pillow's CMYK-to-RGB conversion does; its IDCT may round a level or two differently from
 * libjpeg's, which these rare files can afford.
 */
import jpeg from 'jpeg-js';
import type { RgbaImage } from '../types.js';
import { corruptImage, DEFAULT_MAX_PIXELS, type DecodeOptions, outputBuffer } from './limits.js';

/** Decodes a CMYK or YCCK JPEG whose size has already been checked against the pixel budget. */
export function decodeCmykJpeg(bytes: Uint8Array, options?: DecodeOptions): RgbaImage {
  const maxPixels = options?.maxPixels ?? DEFAULT_MAX_PIXELS;
  try {
    const decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      // Partial decodes of damaged files would silently classify half-grey images.
      tolerantDecoding: false,
      maxResolutionInMP: maxPixels / 1e6,
      // Output (4 B/px) plus component planes and coefficient blocks stay well under 16 B/px.
      maxMemoryUsageInMB: Math.max(64, Math.ceil((maxPixels * 16) / 2 ** 20)),
    });
    if (decoded.data.length !== decoded.width * decoded.height * 4) {
      throw new Error('decoder returned a wrong-sized buffer');
    }
    if (options?.output === undefined)
      return { width: decoded.width, height: decoded.height, data: decoded.data };
    const data = outputBuffer(options, decoded.data.length);
    data.set(decoded.data);
    return { width: decoded.width, height: decoded.height, data };
  } catch (error) {
    throw corruptImage('JPEG', error);
  }
}
