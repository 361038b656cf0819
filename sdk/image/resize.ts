/**
 * Pillow-exact image resizing (Image.resize with any of Pillow's filters, no reducing_gap).
 *
 * Written by hand because no JavaScript library reproduces Pillow's ImagingResample, and CLIP-style
 * models were trained on Pillow's output: a resize that is "almost" bicubic shifts pixel values by
 * several levels, which is enough to move embeddings. This follows libImaging/Resample.c:
 * - separable convolution, horizontal pass first, then vertical;
 * - the kernel support is scaled by the downscale factor (that is Pillow's antialiasing);
 * - coefficients are normalised to sum 1 in double precision, then converted to 22-bit fixed point
 *   ints (PRECISION_BITS = 32 - 8 - 2), accumulated from a half-unit rounding offset and clipped to
 *   0..255 after EACH pass, so the intermediate image is 8-bit exactly as in Pillow;
 * - NEAREST goes through Pillow's affine nearest path (ImagingScaleAffine), including its
 *   accumulated floating-point source coordinates.
 * Every floating-point expression keeps Pillow's operation order so that results are bit-identical.
 *
 * Each output pixel depends only on its own coefficients, so computing just a window of the output
 * (the centre crop a model takes) gives the same values as Pillow's full resize followed by a crop;
 * the source is read row by row (RGB, or RGBA with alpha skipped), so no full-size copy is made.
 */

import { scratchBuffer } from './scratch.js';

/** Interleaved 8-bit pixels (Descry resizes 3-channel RGB). */
export interface Raster {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/** Pillow's resampling filters, numbered as in `PIL.Image.Resampling` and `preprocessor_config.json`. */
export const Resample = { NEAREST: 0, LANCZOS: 1, BILINEAR: 2, BICUBIC: 3, BOX: 4, HAMMING: 5 } as const;
export type ResampleFilter = (typeof Resample)[keyof typeof Resample];

interface Kernel {
  support: number;
  weight: (x: number) => number;
}

const BICUBIC_A = -0.5;

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Resample.c's filters, each with its support radius in source pixels (before downscaling). */
const KERNELS: Record<Exclude<ResampleFilter, 0>, Kernel> = {
  [Resample.BOX]: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  [Resample.BILINEAR]: {
    support: 1,
    weight: (x) => {
      const ax = x < 0 ? -x : x;
      return ax < 1 ? 1 - ax : 0;
    },
  },
  [Resample.HAMMING]: {
    support: 1,
    weight: (x) => {
      const ax = x < 0 ? -x : x;
      if (ax === 0) return 1;
      if (ax >= 1) return 0;
      const px = ax * Math.PI;
      return (Math.sin(px) / px) * (0.54 + 0.46 * Math.cos(px));
    },
  },
  [Resample.BICUBIC]: {
    support: 2,
    weight: (x) => {
      const ax = x < 0 ? -x : x;
      if (ax < 1) return ((BICUBIC_A + 2) * ax - (BICUBIC_A + 3)) * ax * ax + 1;
      if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * BICUBIC_A;
      return 0;
    },
  },
  [Resample.LANCZOS]: { support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

/** Per output index: first source index, tap count, and `ksize` fixed-point weights. */
interface Coefficients {
  ksize: number;
  bounds: Int32Array;
  weights: Int32Array;
}

/**
 * Resample.c precompute_coeffs + normalize_coeffs_8bpc, for the box [0, inSize), for the output
 * indices first .. first + count - 1 only.
 */
function precompute(
  inSize: number,
  outSize: number,
  kernel: Kernel,
  first: number,
  count: number,
): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = kernel.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(count * 2);
  const weights = new Int32Array(count * ksize);
  const raw = new Float64Array(ksize);
  const ss = 1 / filterScale;
  for (let xx = first; xx < first + count; xx++) {
    const slot = xx - first;
    const center = 0 + (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero; the operands here are >= -support, so trunc it is.
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      const w = kernel.weight((x + xmin - center + 0.5) * ss);
      raw[x] = w;
      sum += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = sum !== 0 ? (raw[x] ?? 0) / sum : (raw[x] ?? 0);
      weights[slot * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[slot * 2] = xmin;
    bounds[slot * 2 + 1] = Math.max(0, xmax);
  }
  return { ksize, bounds, weights };
}

/** Pillow's clip8 on a fixed-point accumulator: 0..255, truncating the fraction. */
function clip8(value: number): number {
  if (value >= ONE * 256) return 255;
  if (value <= 0) return 0;
  return value >> PRECISION_BITS;
}

/**
 * Rows of an image as a resize reads them: `row(y)` says where row y starts in `data` and how many
 * bytes each pixel takes there (3 for RGB; 4 for RGBA, whose 4th byte is skipped). It may reuse one
 * buffer for every row: each row is read completely before the next is asked for.
 */
export interface RowSource {
  width: number;
  height: number;
  row(y: number): SourceRow;
}

/** Where one source row lies. */
export interface SourceRow {
  data: Uint8Array;
  offset: number;
  stride: 3 | 4;
}

/** The part of the resized image to compute: `width × height` pixels from (`left`, `top`). */
export interface Window {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The rows of an RGB raster. */
export function rasterRows(src: Raster): RowSource {
  if (src.channels !== 3) throw new RangeError(`resize reads RGB rasters, got ${src.channels} channels`);
  const row: SourceRow = { data: src.data, offset: 0, stride: 3 };
  return {
    width: src.width,
    height: src.height,
    row(y) {
      row.offset = y * src.width * 3;
      return row;
    },
  };
}

/** Copies `count` pixels from `first` of a source row into `out` at `o`, as RGB. */
function copyRow(row: SourceRow, first: number, count: number, out: Uint8Array, o: number): void {
  const { data, stride } = row;
  const from = row.offset + first * stride;
  if (stride === 3) {
    out.set(data.subarray(from, from + count * 3), o);
    return;
  }
  for (let i = from, end = from + count * 4; i < end; i += 4, o += 3) {
    out[o] = data[i]!;
    out[o + 1] = data[i + 1]!;
    out[o + 2] = data[i + 2]!;
  }
}

/** The horizontal pass over one source row: `coefficients.bounds.length / 2` RGB pixels into `out` at `o`. */
function filterRow(row: SourceRow, coefficients: Coefficients, out: Uint8Array, o: number): void {
  const { data, offset, stride } = row;
  const { ksize, bounds, weights } = coefficients;
  const count = bounds.length >> 1;
  for (let x = 0; x < count; x++) {
    const taps = bounds[x * 2 + 1]!;
    const k = x * ksize;
    let r = HALF;
    let g = HALF;
    let b = HALF;
    for (let t = 0, i = offset + bounds[x * 2]! * stride; t < taps; t++, i += stride) {
      const w = weights[k + t]!;
      r = (r + Math.imul(data[i]!, w)) | 0;
      g = (g + Math.imul(data[i + 1]!, w)) | 0;
      b = (b + Math.imul(data[i + 2]!, w)) | 0;
    }
    out[o++] = clip8(r);
    out[o++] = clip8(g);
    out[o++] = clip8(b);
  }
}

/**
 * The vertical pass: RGB rows of `width` pixels, taps one row apart, into `out`. Each output row
 * accumulates whole source rows (sequential reads) rather than walking down columns.
 */
function filterColumns(src: Uint8Array, width: number, coefficients: Coefficients, out: Uint8Array): void {
  const { ksize, bounds, weights } = coefficients;
  const rows = bounds.length >> 1;
  const rowBytes = width * 3;
  const acc = new Int32Array(rowBytes);
  for (let y = 0; y < rows; y++) {
    const first = bounds[y * 2]!;
    const taps = bounds[y * 2 + 1]!;
    const k = y * ksize;
    acc.fill(HALF);
    for (let t = 0; t < taps; t++) {
      const w = weights[k + t]!;
      const from = (first + t) * rowBytes;
      for (let c = 0; c < rowBytes; c++) acc[c] = (acc[c]! + Math.imul(src[from + c]!, w)) | 0;
    }
    const o = y * rowBytes;
    for (let c = 0; c < rowBytes; c++) out[o + c] = clip8(acc[c]!);
  }
}

/** The horizontal pass's output, which only the vertical pass reads (./scratch.ts). */
const intermediate = scratchBuffer(8 * 2 ** 20);

/** Geometry.c ImagingScaleAffine: nearest neighbour with accumulated source coordinates. */
function nearestWindow(
  src: RowSource,
  width: number,
  height: number,
  window: Window,
  out: Uint8Array,
): Raster {
  const dx = src.width / width;
  const dy = src.height / height;
  const xs = new Int32Array(width);
  let xo = dx * 0.5;
  for (let x = 0; x < width; x++) {
    xs[x] = Math.min(src.width - 1, Math.trunc(xo));
    xo += dx;
  }
  let yo = dy * 0.5;
  for (let y = 0, o = 0; y < window.top + window.height; y++) {
    const sy = Math.min(src.height - 1, Math.trunc(yo));
    yo += dy;
    if (y < window.top) continue;
    const row = src.row(sy);
    for (let x = window.left; x < window.left + window.width; x++, o += 3) {
      const i = row.offset + xs[x]! * row.stride;
      out[o] = row.data[i]!;
      out[o + 1] = row.data[i + 1]!;
      out[o + 2] = row.data[i + 2]!;
    }
  }
  return { width: window.width, height: window.height, channels: 3, data: out };
}

/**
 * The `window` of Pillow's `Image.resize((width, height), resample)` of `src`, as RGB: equal to
 * resizing the whole image and cropping, without computing or copying anything outside the window.
 */
export function resizeWindow(
  src: RowSource,
  width: number,
  height: number,
  resample: ResampleFilter,
  window: Window,
  /** Where to write the window (at least width × height × 3 bytes); default: a new buffer. */
  output?: Uint8Array,
): Raster {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`resize target must be positive integers, got ${width}x${height}`);
  }
  const needH = width !== src.width;
  const needV = height !== src.height;
  const bytes = window.width * window.height * 3;
  const out = output === undefined ? new Uint8Array(bytes) : output.subarray(0, bytes);
  if (resample === Resample.NEAREST && (needH || needV))
    return nearestWindow(src, width, height, window, out);
  const kernel = KERNELS[resample as Exclude<ResampleFilter, 0>];
  const vertical = needV ? precompute(src.height, height, kernel, window.top, window.height) : undefined;
  // Source rows the vertical pass reads (Pillow also filters only those horizontally), or the
  // window's own rows when there is no vertical pass.
  let firstRow = window.top;
  let rows = window.height;
  if (vertical !== undefined) {
    firstRow = vertical.bounds[0]!;
    let lastRow = firstRow;
    for (let y = 0; y < window.height; y++) {
      lastRow = Math.max(lastRow, vertical.bounds[y * 2]! + vertical.bounds[y * 2 + 1]!);
    }
    rows = lastRow - firstRow;
    for (let y = 0; y < window.height; y++) vertical.bounds[y * 2] = vertical.bounds[y * 2]! - firstRow;
  }
  const horizontal = needH ? precompute(src.width, width, kernel, window.left, window.width) : undefined;
  const rowBytes = window.width * 3;
  // Without a vertical pass the horizontal one writes the window itself.
  const passed = vertical === undefined ? out : intermediate(rows * rowBytes);
  for (let y = 0; y < rows; y++) {
    const row = src.row(firstRow + y);
    if (horizontal !== undefined) filterRow(row, horizontal, passed, y * rowBytes);
    else copyRow(row, window.left, window.width, passed, y * rowBytes);
  }
  if (vertical !== undefined) filterColumns(passed, window.width, vertical, out);
  return { width: window.width, height: window.height, channels: 3, data: out };
}

/**
 * Resizes an RGB raster like Pillow's `Image.resize((width, height), resample)` on an 8-bit image.
 * Returns the input itself when the size does not change (Pillow returns a copy).
 */
export function resize(src: Raster, width: number, height: number, resample: ResampleFilter): Raster {
  if (width === src.width && height === src.height) return src;
  return resizeWindow(rasterRows(src), width, height, resample, { left: 0, top: 0, width, height });
}
