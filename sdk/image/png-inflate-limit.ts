/**
 * Decompression-bomb and truncation guard for PNG. fast-png inflates every IDAT byte it is given,
 * so a small file declaring a tiny image can still inflate to gigabytes; and it fills missing rows
 * with zeros. Before fast-png runs, the IDAT stream is inflated once with fflate's streaming
 * inflater (the library fast-png itself uses), fed in small slices so that no single step can
 * produce much, counting bytes and discarding them; it is refused as soon as it exceeds what the
 * header's dimensions need, or when it ends short of that. Memory then stays bounded by the pixel
 * budget. (The platform DecompressionStream is avoided: workerd reports spurious
 * unhandled rejections for corrupt input, cloudflare/workerd#6061.)
 */
import { Unzlib } from 'fflate';
import { corruptImage } from './limits.js';

/** The IHDR fields that determine how many filtered bytes the image data holds. */
export interface PngLayout {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Adam7 passes: x offset, y offset, x step, y step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** Bytes of filtered scanlines (one filter byte per row) the IDAT stream must inflate to. */
export function filteredSize(layout: PngLayout): number {
  const bitsPerPixel = (CHANNELS[layout.colorType] ?? 4) * layout.bitDepth;
  const rows = (width: number, height: number) =>
    width > 0 && height > 0 ? height * (1 + Math.ceil((width * bitsPerPixel) / 8)) : 0;
  if (!layout.interlaced) return rows(layout.width, layout.height);
  return ADAM7.reduce(
    (sum, [x0, y0, dx, dy]) =>
      sum + rows(Math.ceil((layout.width - x0) / dx), Math.ceil((layout.height - y0) / dy)),
    0,
  );
}

/** The IDAT payloads in file order; stops at IEND or at the first chunk that runs past the end. */
function idatPayloads(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const payloads: Uint8Array[] = [];
  let offset = 8;
  while (offset + 8 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const end = offset + 8 + length;
    if (end > bytes.length) break;
    if (type === 'IDAT') payloads.push(bytes.subarray(offset + 8, end));
    if (type === 'IEND') break;
    offset = end + 4;
  }
  return payloads;
}

/** Deflate expands at most ~1032x, so a 1 KiB slice yields at most about 1 MiB at a time. */
const SLICE = 1024;

/** Thrown from the data callback to stop inflating early. */
class LimitExceeded extends Error {}

/**
 * Throws 'image_corrupt' when the IDAT data inflates to more bytes than `layout` needs (a bomb), or
 * ends before it has produced them (truncated: fast-png would silently return black rows).
 * Junk after a complete stream is tolerated, as libpng does.
 */
export function assertPngInflatesWithin(bytes: Uint8Array, layout: PngLayout): void {
  const limit = filteredSize(layout);
  const size = `${layout.width}x${layout.height}`;
  let total = 0;
  const inflater = new Unzlib((chunk) => {
    total += chunk.length;
    if (total > limit) throw new LimitExceeded();
  });
  let failure: unknown;
  try {
    for (const payload of idatPayloads(bytes)) {
      for (let offset = 0; offset < payload.length; offset += SLICE) {
        inflater.push(payload.subarray(offset, offset + SLICE));
      }
    }
    inflater.push(new Uint8Array(0), true);
  } catch (error) {
    if (error instanceof LimitExceeded) {
      throw corruptImage(
        'PNG',
        new Error(`image data inflates past the ${limit} bytes a ${size} image needs`),
      );
    }
    failure = error;
  }
  if (total < limit) {
    const reason = failure instanceof Error ? ` (${failure.message})` : '';
    throw corruptImage(
      'PNG',
      new Error(`image data ends after ${total} of the ${limit} bytes a ${size} image needs${reason}`),
    );
  }
}
