/**
 * PNG decoding with fast-png, normalised to 8-bit RGBA. Covers every PNG colour type and bit depth
 * (palette, greyscale, grey+alpha, RGB, RGBA; 1 to 16 bits; Adam7 interlacing). Alpha is kept;
 * dropping it (as PIL's convert('RGB') does) is the preprocessor's job.
 */
import { type DecodedPng, decode } from 'fast-png';
import type { RgbaImage } from '../types.js';
import { assertPixelBudget, corruptImage, type DecodeOptions } from './limits.js';
import { assertPngInflatesWithin, type PngLayout } from './png-inflate-limit.js';

/** Reads the IHDR chunk (size, depth, colour type, interlacing) without decoding anything. */
export function readPngHeader(bytes: Uint8Array): PngLayout {
  // Signature (8), chunk length (4), 'IHDR' (4), width (4), height (4), depth, colour type,
  // compression, filter, interlace (1 each).
  if (bytes.length < 29 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') {
    throw corruptImage('PNG', new Error('missing or truncated IHDR header'));
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

/**
 * Decodes PNG bytes to 8-bit RGBA after checking the declared size against the pixel budget and
 * that the compressed data cannot inflate past it.
 */
export function decodePng(bytes: Uint8Array, options?: DecodeOptions): RgbaImage {
  const layout = readPngHeader(bytes);
  const { width, height } = layout;
  assertPixelBudget('PNG', width, height, options);
  assertPngInflatesWithin(bytes, layout);
  let png: DecodedPng;
  try {
    png = decode(bytes, { checkCrc: true });
  } catch (error) {
    throw corruptImage('PNG', error);
  }
  return { width, height, data: toRgba(png) };
}

/** One sample per pixel channel, as numbers in 0..2^depth-1, whatever fast-png's packing. */
function samples(png: DecodedPng): ArrayLike<number> {
  const { width, height, channels, depth, data } = png;
  const count = width * height * channels;
  if (depth >= 8) {
    if (data.length !== count) throw corruptImage('PNG', new Error('image data is shorter than declared'));
    return data;
  }
  // Sub-byte depths: fast-png leaves rows packed (each row starts on a byte boundary) for
  // non-interlaced images but may hand interlaced ones back one sample per byte.
  if (data.length === count) return data;
  const rowBytes = Math.ceil((width * channels * depth) / 8);
  if (data.length < rowBytes * height)
    throw corruptImage('PNG', new Error('image data is shorter than declared'));
  const out = new Uint8Array(count);
  const perRow = width * channels;
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < perRow; i++) {
      const bit = i * depth;
      const byte = data[y * rowBytes + (bit >> 3)] ?? 0;
      out[y * perRow + i] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

function toRgba(png: DecodedPng): Uint8Array {
  const { width, height, channels, depth } = png;
  const pixels = width * height;
  const values = samples(png);
  const out = new Uint8Array(pixels * 4);
  if (png.palette !== undefined && channels === 1) {
    expandPalette(values, png.palette, out);
    return out;
  }
  // Maps a sample to 8 bits: the high byte of 16-bit samples (as PIL reads 16-bit RGB), and the
  // PNG-spec replication for 1/2/4-bit greyscale (so 1-bit white is 255, 2-bit 1 is 0x55).
  const scale =
    depth === 16
      ? (v: number) => v >> 8
      : depth < 8
        ? (v: number) => (v * 255) / ((1 << depth) - 1)
        : (v: number) => v;
  const key = png.transparency;
  for (let p = 0; p < pixels; p++) {
    const s = p * channels;
    const o = p * 4;
    const first = values[s] ?? 0;
    if (channels <= 2) {
      const grey = scale(first);
      out[o] = grey;
      out[o + 1] = grey;
      out[o + 2] = grey;
      out[o + 3] =
        channels === 2 ? scale(values[s + 1] ?? 0) : key !== undefined && key[0] === first ? 0 : 255;
    } else {
      const g = values[s + 1] ?? 0;
      const b = values[s + 2] ?? 0;
      out[o] = scale(first);
      out[o + 1] = scale(g);
      out[o + 2] = scale(b);
      if (channels === 4) out[o + 3] = scale(values[s + 3] ?? 0);
      else out[o + 3] = key !== undefined && key[0] === first && key[1] === g && key[2] === b ? 0 : 255;
    }
  }
  return out;
}

/** Indices beyond the palette come out opaque black, like PIL's zero-padded 256-entry palette. */
function expandPalette(indices: ArrayLike<number>, palette: number[][], out: Uint8Array): void {
  for (let p = 0; p < indices.length; p++) {
    const entry = palette[indices[p] ?? 0];
    const o = p * 4;
    out[o] = entry?.[0] ?? 0;
    out[o + 1] = entry?.[1] ?? 0;
    out[o + 2] = entry?.[2] ?? 0;
    out[o + 3] = entry?.[3] ?? 255;
  }
}
