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
 */

/** Interleaved 8-bit pixels with any number of channels (Descry resizes 3-channel RGB). */
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
  weights: Float64Array;
}

/** Resample.c precompute_coeffs + normalize_coeffs_8bpc, for the box [0, inSize). */
function precompute(inSize: number, outSize: number, kernel: Kernel): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = kernel.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Float64Array(outSize * ksize);
  const raw = new Float64Array(ksize);
  const ss = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
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
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = Math.max(0, xmax);
  }
  return { ksize, bounds, weights };
}

function clip8(value: number): number {
  if (value >= ONE * 256) return 255;
  if (value <= 0) return 0;
  return Math.floor(value / ONE);
}

/**
 * One convolution pass along x (taps `channels` apart) or y (taps one row apart). RGB, the only
 * layout preprocessing resizes, gets an unrolled loop: this pass is where the time goes.
 */
function convolve(
  src: Raster,
  outWidth: number,
  outHeight: number,
  horizontal: boolean,
  coefficients: Coefficients,
  rowOffset: number,
): Raster {
  const { channels, data } = src;
  const { ksize, bounds, weights } = coefficients;
  const out = new Uint8Array(outWidth * outHeight * channels);
  const srcRow = src.width * channels;
  const step = horizontal ? channels : srcRow;
  let o = 0;
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const index = horizontal ? x : y;
      const first = bounds[index * 2]!;
      const taps = bounds[index * 2 + 1]!;
      const k = index * ksize;
      const start = horizontal ? (y + rowOffset) * srcRow + first * channels : first * srcRow + x * channels;
      if (channels === 3) {
        let r = HALF;
        let g = HALF;
        let b = HALF;
        for (let t = 0, i = start; t < taps; t++, i += step) {
          const w = weights[k + t]!;
          r += data[i]! * w;
          g += data[i + 1]! * w;
          b += data[i + 2]! * w;
        }
        out[o++] = clip8(r);
        out[o++] = clip8(g);
        out[o++] = clip8(b);
        continue;
      }
      for (let c = 0; c < channels; c++) {
        let acc = HALF;
        for (let t = 0, i = start + c; t < taps; t++, i += step) acc += data[i]! * weights[k + t]!;
        out[o++] = clip8(acc);
      }
    }
  }
  return { width: outWidth, height: outHeight, channels, data: out };
}

/** Geometry.c ImagingScaleAffine: nearest neighbour with accumulated source coordinates. */
function resizeNearest(src: Raster, width: number, height: number): Raster {
  const { channels } = src;
  const out = new Uint8Array(width * height * channels);
  const dx = src.width / width;
  const dy = src.height / height;
  const xs = new Int32Array(width);
  let xo = dx * 0.5;
  for (let x = 0; x < width; x++) {
    xs[x] = Math.min(src.width - 1, Math.trunc(xo));
    xo += dx;
  }
  let yo = dy * 0.5;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(src.height - 1, Math.trunc(yo));
    yo += dy;
    for (let x = 0; x < width; x++) {
      const from = (sy * src.width + (xs[x] ?? 0)) * channels;
      out.set(src.data.subarray(from, from + channels), (y * width + x) * channels);
    }
  }
  return { width, height, channels, data: out };
}

/**
 * Resizes like Pillow's `Image.resize((width, height), resample)` on an 8-bit image.
 * Returns the input itself when the size does not change (Pillow returns a copy).
 */
export function resize(src: Raster, width: number, height: number, resample: ResampleFilter): Raster {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`resize target must be positive integers, got ${width}x${height}`);
  }
  if (width === src.width && height === src.height) return src;
  if (resample === Resample.NEAREST) return resizeNearest(src, width, height);
  const kernel = KERNELS[resample];
  const horizontal = precompute(src.width, width, kernel);
  const vertical = precompute(src.height, height, kernel);
  let image = src;
  if (width !== src.width) {
    // Only the rows the vertical pass reads are filtered horizontally, as in Pillow.
    const firstRow = vertical.bounds[0] ?? 0;
    const lastRow = (vertical.bounds[height * 2 - 2] ?? 0) + (vertical.bounds[height * 2 - 1] ?? 0);
    const needVertical = height !== src.height;
    const rows = needVertical ? lastRow - firstRow : src.height;
    const offset = needVertical ? firstRow : 0;
    if (needVertical)
      for (let i = 0; i < height; i++) vertical.bounds[i * 2] = (vertical.bounds[i * 2] ?? 0) - firstRow;
    image = convolve(src, width, rows, true, horizontal, offset);
  }
  if (height !== src.height) image = convolve(image, width, height, false, vertical, 0);
  return image;
}
