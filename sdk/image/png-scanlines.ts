/**
 * PNG scanlines to RGBA: undoing the per-row filters (PNG spec section 9), then expanding every
 * colour type and bit depth to 8-bit RGBA, pass by pass for Adam7. The filters are undone by the
 * SIMD kernels (./kernels.ts), which also expand 8-bit RGB, the usual photo layout, to RGBA
 * (before, in JavaScript, these took about as long as the inflate: `npm run bench:preprocess`).
 *
 * Written by hand because the decoders on npm each inflate the data themselves (fast-png, pngjs,
 * UPNG): none takes data that was already inflated once under a size bound, so using one meant
 * inflating every PNG twice. The filters and the layout are the spec's; the conversion to 8 bits
 * follows Pillow where it matters: 16-bit samples keep their high byte, 1/2/4-bit grey is scaled
 * to 0..255, tRNS colour keys compare raw samples, palette indices past the palette are opaque black.
 */
import { unfilterPngRows } from './kernels.js';
import { corruptImage } from './limits.js';

/** The IHDR fields that determine how the image data is laid out. */
export interface PngLayout {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

/** Samples per pixel of each colour type: grey, RGB, palette, grey + alpha, RGBA. */
export const PNG_CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** A rectangle of the image stored as its own rows: the whole image, or one Adam7 pass. */
interface Pass {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  width: number;
  height: number;
}

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

function passes(layout: PngLayout): Pass[] {
  const { width, height } = layout;
  if (!layout.interlaced) return [{ x0: 0, y0: 0, dx: 1, dy: 1, width, height }];
  return ADAM7.map(([x0, y0, dx, dy]) => ({
    x0,
    y0,
    dx,
    dy,
    width: Math.max(0, Math.ceil((width - x0) / dx)),
    height: Math.max(0, Math.ceil((height - y0) / dy)),
  })).filter((pass) => pass.width > 0 && pass.height > 0);
}

function rowBytesOf(layout: PngLayout, width: number): number {
  return Math.ceil((width * (PNG_CHANNELS[layout.colorType] ?? 4) * layout.bitDepth) / 8);
}

/** Bytes of filtered scanlines (one filter byte per row) the image data must inflate to. */
export function filteredSize(layout: PngLayout): number {
  return passes(layout).reduce((sum, pass) => sum + pass.height * (1 + rowBytesOf(layout, pass.width)), 0);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** tRNS, as read from the file: palette alphas, or the raw grey / RGB sample that is transparent. */
export type PngTransparency = Uint8Array;

/** Everything besides the data that decides the pixels. */
export interface PngColour {
  /** PLTE entries as RGB triples. */
  palette: Uint8Array | undefined;
  transparency: PngTransparency | undefined;
}

function expandPass(
  data: Uint8Array,
  start: number,
  layout: PngLayout,
  pass: Pass,
  colour: PngColour,
  out: Uint8Array,
): void {
  const { colorType, bitDepth: depth } = layout;
  const channels = PNG_CHANNELS[colorType] ?? 4;
  const stride = 1 + rowBytesOf(layout, pass.width);
  const imageWidth = layout.width;
  const { transparency } = colour;
  // The transparent colour key of grey and RGB images, in raw samples.
  const key16 = (i: number) => ((transparency?.[i * 2] ?? 0) << 8) | (transparency?.[i * 2 + 1] ?? 0);
  const hasKey = transparency !== undefined && (colorType === 0 || colorType === 2);
  const keyR = hasKey ? key16(0) : -1;
  const keyG = hasKey && colorType === 2 ? key16(1) : -1;
  const keyB = hasKey && colorType === 2 ? key16(2) : -1;
  const step = pass.dx * 4;
  for (let r = 0; r < pass.height; r++) {
    const line = start + r * stride + 1;
    let o = ((pass.y0 + r * pass.dy) * imageWidth + pass.x0) * 4;
    if (depth === 8) {
      let i = line;
      if (colorType === 2 && !hasKey && LITTLE_ENDIAN) {
        // The common photo layout: one 32-bit store per pixel instead of four byte stores.
        const words = new Uint32Array(out.buffer, out.byteOffset, out.length >> 2);
        for (let x = 0, p = o >> 2, dp = step >> 2; x < pass.width; x++, i += 3, p += dp) {
          words[p] = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | 0xff000000) >>> 0;
        }
      } else if (colorType === 2) {
        for (let x = 0; x < pass.width; x++, i += 3, o += step) {
          const red = data[i]!;
          const green = data[i + 1]!;
          const blue = data[i + 2]!;
          out[o] = red;
          out[o + 1] = green;
          out[o + 2] = blue;
          out[o + 3] = red === keyR && green === keyG && blue === keyB ? 0 : 255;
        }
      } else if (colorType === 6) {
        if (pass.dx === 1) {
          out.set(data.subarray(line, line + pass.width * 4), o);
          continue;
        }
        for (let x = 0; x < pass.width; x++, i += 4, o += step) {
          out[o] = data[i]!;
          out[o + 1] = data[i + 1]!;
          out[o + 2] = data[i + 2]!;
          out[o + 3] = data[i + 3]!;
        }
      } else if (colorType === 0) {
        for (let x = 0; x < pass.width; x++, i++, o += step) {
          const grey = data[i]!;
          out[o] = grey;
          out[o + 1] = grey;
          out[o + 2] = grey;
          out[o + 3] = grey === keyR ? 0 : 255;
        }
      } else if (colorType === 4) {
        for (let x = 0; x < pass.width; x++, i += 2, o += step) {
          const grey = data[i]!;
          out[o] = grey;
          out[o + 1] = grey;
          out[o + 2] = grey;
          out[o + 3] = data[i + 1]!;
        }
      } else {
        for (let x = 0; x < pass.width; x++, i++, o += step) writePaletteEntry(data[i]!, colour, out, o);
      }
      continue;
    }
    // 16 bits: the high byte of each sample (PIL reads 16-bit RGB that way); keys compare raw values.
    if (depth === 16) {
      for (let x = 0, i = line; x < pass.width; x++, i += channels * 2, o += step) {
        const s0 = (data[i]! << 8) | data[i + 1]!;
        if (channels <= 2) {
          out[o] = out[o + 1] = out[o + 2] = s0 >> 8;
          out[o + 3] = channels === 2 ? data[i + 2]! : s0 === keyR ? 0 : 255;
        } else {
          const s1 = (data[i + 2]! << 8) | data[i + 3]!;
          const s2 = (data[i + 4]! << 8) | data[i + 5]!;
          out[o] = s0 >> 8;
          out[o + 1] = s1 >> 8;
          out[o + 2] = s2 >> 8;
          out[o + 3] = channels === 4 ? data[i + 6]! : s0 === keyR && s1 === keyG && s2 === keyB ? 0 : 255;
        }
      }
      continue;
    }
    // 1, 2 or 4 bits: grey (scaled to 0..255 as the PNG spec replicates bits) or palette indices.
    const mask = (1 << depth) - 1;
    const scale = 255 / mask;
    for (let x = 0; x < pass.width; x++, o += step) {
      const bit = x * depth;
      const value = (data[line + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask;
      if (colorType === 3) {
        writePaletteEntry(value, colour, out, o);
      } else {
        out[o] = out[o + 1] = out[o + 2] = value * scale;
        out[o + 3] = value === keyR ? 0 : 255;
      }
    }
  }
}

/** Indices past the palette come out opaque black, like PIL's zero-padded 256-entry palette. */
function writePaletteEntry(index: number, colour: PngColour, out: Uint8Array, o: number): void {
  const palette = colour.palette!;
  const p = index * 3;
  if (p + 2 < palette.length) {
    out[o] = palette[p]!;
    out[o + 1] = palette[p + 1]!;
    out[o + 2] = palette[p + 2]!;
    out[o + 3] = colour.transparency?.[index] ?? 255;
  } else {
    out[o] = out[o + 1] = out[o + 2] = 0;
    out[o + 3] = 255;
  }
}

/**
 * Turns the inflated image data (exactly {@link filteredSize} bytes, unfiltered in place) into
 * 8-bit RGBA.
 *
 * @throws ImageDecodeError 'image_corrupt' for an unknown filter type.
 */
export function scanlinesToRgba(
  data: Uint8Array,
  layout: PngLayout,
  colour: PngColour,
  /** Where to write the RGBA (every byte is written); default a new buffer. */
  out: Uint8Array = new Uint8Array(layout.width * layout.height * 4),
): Uint8Array {
  const bpp = Math.max(1, ((PNG_CHANNELS[layout.colorType] ?? 4) * layout.bitDepth) >> 3);
  // The common photo layout goes straight from filtered rows to RGBA in the kernels.
  const direct =
    !layout.interlaced &&
    layout.colorType === 2 &&
    layout.bitDepth === 8 &&
    colour.transparency === undefined;
  let start = 0;
  for (const pass of passes(layout)) {
    const rowBytes = rowBytesOf(layout, pass.width);
    const bad = unfilterPngRows(data, start, pass.height, rowBytes, bpp, direct ? out : undefined);
    if (bad >= 0) {
      const filter = data[start + bad * (rowBytes + 1)];
      throw corruptImage('PNG', new Error(`unknown filter type ${filter} in row ${bad}`));
    }
    if (!direct) expandPass(data, start, layout, pass, colour, out);
    start += pass.height * (rowBytes + 1);
  }
  return out;
}
