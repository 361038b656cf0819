/**
 * What decoding an image will allocate at its peak, from its headers alone (probeImage's
 * `decoderBytes`), so that a server can refuse a request before any decoder runs (issue 18's
 * admission control). The decoded pixel count is not enough: a progressive JPEG decoded at 1/8
 * scale still makes libjpeg buffer the coefficients of the whole image at full size.
 *
 * Each formula adds up the buffers the decoder in ./decode.ts really allocates, per format:
 * - JPEG through libjpeg (TurboJPEG where the runtime has it, MozJPEG otherwise or after a libjpeg
 *   warning): the file copied into the decoder's memory (and for MozJPEG once more in
 *   JavaScript), the RGBA output at the decoded size in wasm memory and its JavaScript copy, and,
 *   for a progressive frame or a first scan without every component (libjpeg's
 *   has_multiple_scans), the whole-image coefficient buffer: per component, its 8x8 blocks rounded
 *   up to whole MCUs, 128 bytes each (jdcoefct.c), at full size whatever the scale. Plus libjpeg's
 *   row buffers (a few rows of every component). At full size the estimate also covers the
 *   MozJPEG retry after a TurboJPEG warning (one more RGBA and file copies). Not covered: a JPEG
 *   on which TurboJPEG warns while decoding at a reduced scale is decoded again at full size
 *   (./jpeg.ts: a damaged file gets the same answer with or without scaling), which costs what a
 *   full-size decode costs; its pixels are still checked against the budget at full size then.
 * - CMYK/YCCK JPEG: through TurboJPEG, as above (at full size, its CMYK output converted in place),
 *   with no MozJPEG retry: where the runtime has TurboJPEG, a CMYK file libjpeg warns about is
 *   refused (./jpeg.ts). Not covered: runtimes without TurboJPEG (browsers) decode CMYK with
 *   jpeg-js, which keeps every 8x8 block as its own Int32Array (about 8 times as much; bounded by
 *   the pixel budget through jpeg-js's own memory limit, ./jpeg-cmyk.ts).
 * - PNG: the concatenated image data, the inflated scanlines, the RGBA output, and the bands of
 *   rows the kernels unfilter (./kernels.ts: about 1 MB of scanlines and their RGBA at a time).
 * - WebP through libwebp: the file twice, the RGBA output in wasm memory and its JavaScript copy,
 *   and, for lossless or alpha data, libwebp's ARGB plane and alpha plane.
 * tests/image/probe-memory.node.test.ts decodes large images of each kind in fresh processes and
 * checks that these bound the peak resident memory each decode adds.
 */

import type { JpegStructure } from './jpeg-structure.js';
import { filteredSize, type PngLayout } from './png-scanlines.js';

/** Fixed allocations of a decoder whatever the image (tables, state, allocator slack). */
const FIXED = 2 * 2 ** 20;

/** What a JPEG's markers say that decides its decode's memory (./jpeg-structure.ts). */
export type JpegFrameCost = Pick<
  JpegStructure,
  'width' | 'height' | 'components' | 'sampling' | 'progressive' | 'scans'
>;

const roundUp = (value: number, multiple: number) => Math.ceil(value / multiple) * multiple;

/** libjpeg's whole-image coefficient buffer (jdcoefct.c, buffered mode), in bytes. */
function coefficientBytes(frame: JpegFrameCost): number {
  const hmax = Math.max(1, ...frame.sampling.map((f) => f.h));
  const vmax = Math.max(1, ...frame.sampling.map((f) => f.v));
  let bytes = 0;
  for (const { h, v } of frame.sampling) {
    const blocksWide = Math.ceil((frame.width * h) / (hmax * 8));
    const blocksHigh = Math.ceil((frame.height * v) / (vmax * 8));
    bytes += roundUp(blocksWide, Math.max(1, h)) * roundUp(blocksHigh, Math.max(1, v)) * 128;
  }
  return bytes;
}

/** Peak bytes of decoding a JPEG at 1/`scale` (./jpeg.ts, ./jpeg-scaled.ts, ./jpeg-cmyk.ts). */
export function jpegDecoderBytes(frame: JpegFrameCost, scale: number, fileBytes: number): number {
  const { width, height, components } = frame;
  const decodedPixels = Math.ceil(width / scale) * Math.ceil(height / scale);
  // has_multiple_scans: progressive, or a first scan without every component (then more scans).
  const buffered = frame.progressive || frame.scans > 1;
  // Row buffers: up to 3 row groups of 8 x vmax rows per component (context upsampling), full width.
  const rows = 3 * 8 * 4 * width * components;
  // Full size: TurboJPEG's attempt (file + RGBA), then possibly MozJPEG's (2 files + RGBA + copy);
  // CMYK (4 bytes a pixel in wasm too) has no retry.
  const retry = scale === 1 && components !== 4;
  const fileCopies = retry ? 3 : 1;
  const rgbaCopies = retry ? 3 : 2;
  return (
    FIXED +
    fileCopies * fileBytes +
    (buffered ? coefficientBytes(frame) : 0) +
    rows +
    rgbaCopies * 4 * decodedPixels
  );
}

/** Peak bytes of decoding a PNG (./png.ts): image data, inflated scanlines, RGBA, kernel bands. */
export function pngDecoderBytes(layout: PngLayout, fileBytes: number): number {
  const rgbaRow = 4 * layout.width;
  const bands = 2 * 2 ** 20 + 2 * (filteredSize({ ...layout, height: 1, interlaced: false }) + rgbaRow);
  return FIXED + fileBytes + filteredSize(layout) + rgbaRow * layout.height + bands;
}

/** Peak bytes of decoding a WebP (./webp.ts): the same in libwebp's wasm, lossless planes included. */
export function webpDecoderBytes(width: number, height: number, fileBytes: number): number {
  const pixels = width * height;
  // RGBA in wasm + its copy, ARGB plane of lossless/alpha decoding (+ 16 rows of cache), alpha plane.
  return FIXED + 2 * fileBytes + 2 * 4 * pixels + 4 * (pixels + 16 * width) + pixels;
}
