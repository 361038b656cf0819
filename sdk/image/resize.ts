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
 * (the centre crop a model takes) gives the same values as Pillow's full resize followed by a crop.
 *
 * This module computes the coefficients (double precision, Pillow's operation order); the passes
 * themselves run in the SIMD kernels of ./kernels.ts (int32 accumulators from the half-unit
 * offset, clip8 after each pass), which read RGB, or RGBA with alpha dropped or composited, in
 * bands of rows, so no full-size RGB copy is made. NEAREST becomes one-tap coefficients that pick
 * Pillow's source pixels, so every filter runs through the same kernels.
 */

import { type Coefficients, type PixelSource, type ResamplePlan, resampleWindow } from './kernels.js';

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

/**
 * Resample.c precompute_coeffs + normalize_coeffs_8bpc, for the box [0, extent) of a source of
 * `inSize` pixels (Pillow's `box`, whose edges are C floats), for the output indices
 * first .. first + count - 1 only.
 */
function precompute(
  inSize: number,
  extent: number,
  outSize: number,
  kernel: Kernel,
  first: number,
  count: number,
): Coefficients {
  const scale = Math.fround(extent) / outSize;
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

/**
 * Rows of an image as a resize reads them: 8-bit RGB (stride 3) or RGBA (stride 4, whose alpha is
 * dropped, or composited onto `backdrop`, ./background.ts).
 */
export type { PixelSource } from './kernels.js';

/** The part of the resized image to compute: `width × height` pixels from (`left`, `top`). */
export interface Window {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Coefficients that copy source index `first + i` to output index `i`: weight 1.0, one tap. */
function pick(indices: Int32Array): Coefficients {
  const bounds = new Int32Array(indices.length * 2);
  for (let i = 0; i < indices.length; i++) {
    bounds[i * 2] = indices[i]!;
    bounds[i * 2 + 1] = 1;
  }
  return { ksize: 1, bounds, weights: new Int32Array(indices.length).fill(ONE) };
}

/**
 * Geometry.c ImagingScaleAffine's source indices for output indices first .. first + count - 1
 * (nearest neighbour, with its accumulated floating-point coordinates) over the box [0, extent);
 * with `inSize === outSize === extent` that is the identity.
 */
function nearestIndices(
  inSize: number,
  extent: number,
  outSize: number,
  first: number,
  count: number,
): Int32Array {
  const d = Math.fround(extent) / outSize;
  const indices = new Int32Array(count);
  let o = d * 0.5;
  for (let i = 0; i < first + count; i++) {
    if (i >= first) indices[i - first] = Math.min(inSize - 1, Math.trunc(o));
    o += d;
  }
  return indices;
}

/** Recent coefficients: a batch of same-sized images computes them once. */
const cache = new Map<string, Coefficients>();

function coefficients(
  inSize: number,
  extent: number,
  outSize: number,
  resample: ResampleFilter,
  first: number,
  count: number,
): Coefficients {
  const key = `${inSize} ${extent} ${outSize} ${resample} ${first} ${count}`;
  let found = cache.get(key);
  if (found === undefined) {
    found =
      resample === Resample.NEAREST || (inSize === outSize && extent === inSize)
        ? pick(nearestIndices(inSize, extent, outSize, first, count))
        : precompute(inSize, extent, outSize, KERNELS[resample], first, count);
    if (cache.size >= 8) cache.delete(cache.keys().next().value as string);
    cache.set(key, found);
  }
  return found;
}

/**
 * The part of a source image a resize maps onto the whole output: Pillow's `box`, from the origin
 * to (`width`, `height`) in source pixels, which may end inside the last column or row.
 */
export interface SourceBox {
  width: number;
  height: number;
}

/**
 * What the kernels need to compute `window` of Pillow's
 * `Image.resize((width, height), resample, box=(0, 0, box.width, box.height))` of a
 * `srcWidth × srcHeight` image (by default the box is the whole image): Resample.c's coefficients
 * for each pass (only the window's), the source rows the vertical pass reads (Pillow also filters
 * only those horizontally), and for NEAREST, Pillow's affine nearest as one-tap coefficients. A
 * dimension that does not change gets one-tap identity coefficients (horizontal) or no pass
 * (vertical), as Pillow skips that pass.
 */
export function resamplePlan(
  srcWidth: number,
  srcHeight: number,
  width: number,
  height: number,
  resample: ResampleFilter,
  window: Window,
  box: SourceBox = { width: srcWidth, height: srcHeight },
): ResamplePlan {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`resize target must be positive integers, got ${width}x${height}`);
  }
  if (!(box.width > 0 && box.width <= srcWidth && box.height > 0 && box.height <= srcHeight)) {
    throw new RangeError(`resize box 0,0-${box.width},${box.height} is not inside ${srcWidth}x${srcHeight}`);
  }
  const horizontal = coefficients(srcWidth, box.width, width, resample, window.left, window.width);
  if (height === srcHeight && box.height === srcHeight) {
    return {
      firstRow: window.top,
      rows: window.height,
      width: window.width,
      height: window.height,
      horizontal,
      vertical: undefined,
    };
  }
  const shared = coefficients(srcHeight, box.height, height, resample, window.top, window.height);
  const firstRow = shared.bounds[0]!;
  let lastRow = firstRow;
  for (let y = 0; y < window.height; y++) {
    lastRow = Math.max(lastRow, shared.bounds[y * 2]! + shared.bounds[y * 2 + 1]!);
  }
  // Bounds relative to the first row read, in a copy: the cached ones stay absolute.
  const bounds = shared.bounds.slice();
  for (let y = 0; y < window.height; y++) bounds[y * 2] = bounds[y * 2]! - firstRow;
  return {
    firstRow,
    rows: lastRow - firstRow,
    width: window.width,
    height: window.height,
    horizontal,
    vertical: { ksize: shared.ksize, bounds, weights: shared.weights },
  };
}

/**
 * The `window` of Pillow's `Image.resize((width, height), resample)` of `src`, as RGB: equal to
 * resizing the whole image and cropping, without computing anything outside the window.
 */
export function resizeWindow(
  src: PixelSource,
  width: number,
  height: number,
  resample: ResampleFilter,
  window: Window,
  /** Where to write the window (at least width × height × 3 bytes); default: a new buffer. */
  output?: Uint8Array,
): Raster {
  const plan = resamplePlan(src.width, src.height, width, height, resample, window);
  const bytes = window.width * window.height * 3;
  const out = output === undefined ? new Uint8Array(bytes) : output.subarray(0, bytes);
  resampleWindow(src, plan, out);
  return { width: window.width, height: window.height, channels: 3, data: out };
}

/**
 * Resizes an RGB raster like Pillow's `Image.resize((width, height), resample)` on an 8-bit image.
 * Returns the input itself when the size does not change (Pillow returns a copy).
 */
export function resize(src: Raster, width: number, height: number, resample: ResampleFilter): Raster {
  if (width === src.width && height === src.height) return src;
  if (src.channels !== 3) throw new RangeError(`resize reads RGB rasters, got ${src.channels} channels`);
  const source: PixelSource = {
    width: src.width,
    height: src.height,
    stride: 3,
    data: src.data,
    backdrop: undefined,
  };
  return resizeWindow(source, width, height, resample, { left: 0, top: 0, width, height });
}
