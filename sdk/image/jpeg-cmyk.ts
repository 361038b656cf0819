/**
 * Four-component (Adobe CMYK/YCCK) JPEGs, which MozJPEG's wasm build cannot decode (it converts to
 * RGB only from greyscale, YCbCr and RGB), converted to RGB as Pillow converts them.
 *
 * Where the runtime has TurboJPEG (Node, workerd; ./jpeg-scaled.ts), libjpeg-turbo decodes them to
 * CMYK, the library and IDCT Pillow's decode uses, and {@link pillowCmykToRgba} applies Pillow's
 * conversion: every pixel equals Pillow's `Image.open(f).convert('RGB')` (tests/image/reference.test.ts,
 * max difference 0); a file libjpeg warns about is refused there (./jpeg.ts). Elsewhere (browsers)
 * jpeg-js decodes them: its own IDCT, upsampling and truncating conversion put pixels up to 2
 * levels off Pillow on a 4:4:4 CMYK photo and far more (111 at edges) where components are
 * subsampled, which these rare files can afford in a browser.
 */
import jpeg from 'jpeg-js';
import type { RgbaImage } from '../types.js';
import { corruptImage, DEFAULT_MAX_PIXELS, type DecodeOptions, outputBuffer } from './limits.js';

/**
 * libjpeg's CMYK pixels to RGBA in place, as Pillow does: its JPEG plugin reads four-component
 * JPEGs with rawmode "CMYK;I" (inverted, Adobe's convention, for every CMYK JPEG), and
 * Convert.c cmyk2rgb computes each channel as nk − MULDIV255(c, nk) with nk = 255 − k, where
 * MULDIV255(a, b) rounds a·b / 255. With libjpeg's stored values C and K (c = 255 − C,
 * k = 255 − K): K − MULDIV255(255 − C, K).
 */
export function pillowCmykToRgba(pixels: Uint8Array): void {
  for (let i = 0; i < pixels.length; i += 4) {
    const k = pixels[i + 3]!;
    for (let c = 0; c < 3; c++) {
      const t = (255 - pixels[i + c]!) * k + 128;
      pixels[i + c] = k - (((t >> 8) + t) >> 8);
    }
    pixels[i + 3] = 255;
  }
}

/** Decodes a CMYK or YCCK JPEG with jpeg-js, its size already checked against the pixel budget. */
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
