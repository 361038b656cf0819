/**
 * PNG decoding to 8-bit RGBA, every colour type and bit depth, Adam7 included. Alpha is kept;
 * what becomes of it is the preprocessor's `background` option.
 *
 * The header's size is checked against the pixel budget before anything else, every chunk's CRC
 * is checked, and the image data is inflated once, to exactly the size the header declares
 * (./zlib.ts): a stream that would inflate further (a decompression bomb) stops at the first
 * byte too many, and one that ends short is refused rather than padded with black rows.
 */
import type { RgbaImage } from '../types.js';
import { assertPixelBudget, corruptImage, type DecodeOptions, outputBuffer } from './limits.js';
import { filteredSize, type PngColour, type PngLayout, scanlinesToRgba } from './png-scanlines.js';
import { InflateError, type PngZlib, pngZlib } from './zlib.js';

export type { PngLayout } from './png-scanlines.js';

/** Bit depths the PNG spec allows per colour type. */
const DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

const fail = (reason: string) => corruptImage('PNG', new Error(reason));

/** Reads the IHDR chunk (size, depth, colour type, interlacing) without decoding anything. */
export function readPngHeader(bytes: Uint8Array): PngLayout {
  // Signature (8), chunk length (4), 'IHDR' (4), width (4), height (4), depth, colour type,
  // compression, filter, interlace (1 each).
  if (bytes.length < 29 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') {
    throw fail('missing or truncated IHDR header');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    width: view.getUint32(16),
    height: view.getUint32(20),
    bitDepth: view.getUint8(24),
    colorType: view.getUint8(25),
    interlaced: view.getUint8(28) === 1,
  };
}

function assertValidHeader(bytes: Uint8Array, layout: PngLayout): void {
  if (!DEPTHS[layout.colorType]?.includes(layout.bitDepth)) {
    throw fail(`bit depth ${layout.bitDepth} is not allowed with colour type ${layout.colorType}`);
  }
  if (bytes[26] !== 0 || bytes[27] !== 0 || (bytes[28] ?? 0) > 1) {
    throw fail('unknown compression, filter or interlace method');
  }
}

/** The chunks that decide the pixels, after checking every chunk's CRC up to IEND. */
function readChunks(bytes: Uint8Array, zlib: PngZlib): { colour: PngColour; data: Uint8Array[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data: Uint8Array[] = [];
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  for (let offset = 8; ; ) {
    if (offset + 12 > bytes.length) throw fail('the file ends before the IEND chunk');
    const length = view.getUint32(offset);
    const end = offset + 8 + length;
    if (end + 4 > bytes.length) throw fail('a chunk runs past the end of the file');
    const type = String.fromCharCode(
      bytes[offset + 4]!,
      bytes[offset + 5]!,
      bytes[offset + 6]!,
      bytes[offset + 7]!,
    );
    if (zlib.crc32(bytes.subarray(offset + 4, end)) !== view.getUint32(end)) {
      throw fail(`CRC mismatch in the ${type} chunk`);
    }
    const body = bytes.subarray(offset + 8, end);
    if (type === 'IEND') break;
    if (type === 'IDAT') data.push(body);
    else if (type === 'PLTE') {
      if (length % 3 !== 0 || length > 768) throw fail(`a PLTE chunk of ${length} bytes`);
      palette = body;
    } else if (type === 'tRNS') transparency = body;
    offset = end + 4;
  }
  return { colour: { palette, transparency }, data };
}

/**
 * Decodes PNG bytes to 8-bit RGBA after checking the declared size against the pixel budget.
 *
 * @throws ImageDecodeError 'image_too_large', or 'image_corrupt' for a bad header, CRC or filter,
 *   or image data that inflates to more or fewer bytes than the header declares.
 */
export async function decodePng(bytes: Uint8Array, options?: DecodeOptions): Promise<RgbaImage> {
  const layout = readPngHeader(bytes);
  const { width, height } = layout;
  assertPixelBudget('PNG', width, height, options);
  assertValidHeader(bytes, layout);
  const zlib = pngZlib();
  const { colour, data } = readChunks(bytes, zlib);
  if (layout.colorType === 3 && colour.palette === undefined) throw fail('a palette image without PLTE');
  const size = filteredSize(layout);
  let scanlines: Uint8Array;
  try {
    scanlines = zlib.inflateExactly(data, size);
  } catch (error) {
    if (!(error instanceof InflateError)) throw error;
    throw fail(`image data ${error.message} a ${width}x${height} image needs`);
  }
  const out = outputBuffer(options, width * height * 4);
  return { width, height, data: scanlinesToRgba(scanlines, layout, colour, out) };
}
