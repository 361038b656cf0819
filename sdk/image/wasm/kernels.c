/*
 * Descry's per-pixel image kernels, compiled to WebAssembly with 128-bit SIMD
 * (scripts/build-image-wasm.sh). Written for Descry (Apache-2.0); no third-party code.
 *
 * Each kernel computes exactly what the JavaScript it replaced computed, which is Pillow's
 * arithmetic (sdk/image/resize.ts, background.ts and preprocess.ts say whose and why); SIMD only
 * does four channels, or sixteen bytes, at once:
 * - resample_h / resample_v: Resample.c's 8-bit convolution passes, int32 accumulators starting
 *   at 1 << 21, 22-bit fixed-point weights, clip8 after each pass. clip8 is an arithmetic shift
 *   right by 22 followed by saturating narrowing to 0..255, which equals Pillow's table for every
 *   int32 (below 0 gives 0, from 256 << 22 on gives 255);
 * - composite_row: AlphaComposite.c onto an opaque colour, (v * a + bg * (255 - a)) * 128 + 0x4000
 *   then SHIFTFORDIV255 and >> 7, in uint32 lanes;
 * - write_chw: the per-channel level tables (float32 values computed by JavaScript as numpy does)
 *   applied to the cropped window, zero levels for padding.
 * Pixels are RGBX in the intermediate buffers (4 bytes, the 4th ignored) so one i32x4 holds one.
 * Every source row must be readable 4 bytes past its last pixel (RGB sources read a 4th byte).
 *
 * No libc and no allocation: JavaScript lays out the linear memory from __heap_base on.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define PRECISION_BITS 22
#define HALF (1 << (PRECISION_BITS - 1))
#define EXPORT(name) __attribute__((export_name(#name)))

static inline v128_t widen_pixel(const uint8_t *p) {
  v128_t bytes = wasm_v128_load32_zero(p);
  return wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(bytes));
}

/* clip8 of four accumulators, stored as 4 bytes. */
static inline void store_pixel(uint8_t *out, v128_t acc) {
  v128_t shifted = wasm_i32x4_shr(acc, PRECISION_BITS);
  v128_t words = wasm_i16x8_narrow_i32x4(shifted, shifted);
  v128_t bytes = wasm_u8x16_narrow_i16x8(words, words);
  wasm_v128_store32_lane(out, bytes, 0);
}

/* Whether every alpha byte of `width` RGBA pixels is 255. */
static int opaque_row(const uint8_t *row, int width) {
  const v128_t alpha = wasm_i32x4_splat((int32_t)0xff000000);
  int x = 0;
  for (; x + 4 <= width; x += 4) {
    v128_t px = wasm_v128_load(row + x * 4);
    if (!wasm_i32x4_all_true(wasm_i32x4_eq(wasm_v128_and(px, alpha), alpha))) return 0;
  }
  for (; x < width; x++) {
    if (row[x * 4 + 3] != 255) return 0;
  }
  return 1;
}

/*
 * One RGBA row composited onto the opaque colour `backdrop` (0x00BBGGRR) into `out`, RGBX.
 * Pillow: coef1 = a * 128, coef2 = (255 - a) * 128, tmp = v * coef1 + bg * coef2 + 0x4000,
 * out = SHIFTFORDIV255(tmp) >> 7 with SHIFTFORDIV255(a) = ((a >> 8) + a) >> 8. For a = 0 this
 * gives bg and for a = 255 it gives v, as Pillow's special cases do (tests check every value).
 */
EXPORT(composite_row) void composite_row(const uint8_t *row, int width, uint32_t backdrop, uint8_t *out) {
  const v128_t bg = wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_i32x4_splat((int32_t)backdrop)));
  const v128_t full = wasm_i32x4_splat(255);
  const v128_t round = wasm_i32x4_splat(0x4000);
  for (int x = 0; x < width; x++) {
    v128_t px = widen_pixel(row + x * 4);
    v128_t a = wasm_i32x4_shuffle(px, px, 3, 3, 3, 3);
    v128_t t = wasm_i32x4_add(wasm_i32x4_mul(px, a), wasm_i32x4_mul(bg, wasm_i32x4_sub(full, a)));
    t = wasm_i32x4_add(wasm_i32x4_shl(t, 7), round);
    v128_t v = wasm_u32x4_shr(wasm_i32x4_add(wasm_u32x4_shr(t, 8), t), 15);
    v128_t words = wasm_u16x8_narrow_i32x4(v, v);
    wasm_v128_store32_lane(out + x * 4, wasm_u8x16_narrow_i16x8(words, words), 0);
  }
}

/*
 * The horizontal pass over `rows` source rows (`rowBytes` apart, `stride` 3 or 4 bytes a pixel)
 * into `out`: `count` RGBX pixels a row, `outRowBytes` apart. Output pixel x reads bounds[2x]
 * onwards for bounds[2x + 1] taps, with weights[x * ksize ...]. When `backdrop` is not -1, rows
 * of RGBA (stride 4) with any transparency are composited onto it first, through `rowBuffer`.
 */
EXPORT(resample_h) void resample_h(const uint8_t *src, int rowBytes, int stride, int width, int rows, const int32_t *bounds,
                const int32_t *weights, int ksize, int count, uint8_t *out, int outRowBytes, int32_t backdrop,
                uint8_t *rowBuffer) {
  for (int y = 0; y < rows; y++) {
    const uint8_t *row = src + (intptr_t)y * rowBytes;
    if (backdrop != -1 && stride == 4 && !opaque_row(row, width)) {
      composite_row(row, width, (uint32_t)backdrop, rowBuffer);
      row = rowBuffer;
    }
    uint8_t *o = out + (intptr_t)y * outRowBytes;
    const int32_t *w = weights;
    for (int x = 0; x < count; x++, w += ksize, o += 4) {
      const uint8_t *p = row + bounds[2 * x] * stride;
      const int taps = bounds[2 * x + 1];
      v128_t acc = wasm_i32x4_splat(HALF);
      int t = 0;
      if (stride == 4) {
        /* Two taps per load: 8 bytes are two neighbouring pixels. */
        for (; t + 2 <= taps; t += 2, p += 8) {
          v128_t two = wasm_u16x8_extend_low_u8x16(wasm_v128_load64_zero(p));
          acc = wasm_i32x4_add(acc, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(two), wasm_i32x4_splat(w[t])));
          acc = wasm_i32x4_add(acc, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(two), wasm_i32x4_splat(w[t + 1])));
        }
      }
      for (; t < taps; t++, p += stride) {
        acc = wasm_i32x4_add(acc, wasm_i32x4_mul(widen_pixel(p), wasm_i32x4_splat(w[t])));
      }
      store_pixel(o, acc);
    }
  }
}

/*
 * The vertical pass: output row y accumulates source rows bounds[2y] onwards (bounds[2y + 1]
 * taps) of `rowBytes` bytes each (a multiple of 16), sixteen bytes at a time, into `out`.
 */
EXPORT(resample_v) void resample_v(const uint8_t *src, int rowBytes, const int32_t *bounds, const int32_t *weights, int ksize,
                int rows, uint8_t *out) {
  const v128_t half = wasm_i32x4_splat(HALF);
  for (int y = 0; y < rows; y++) {
    const uint8_t *first = src + (intptr_t)bounds[2 * y] * rowBytes;
    const int taps = bounds[2 * y + 1];
    const int32_t *w = weights + (intptr_t)y * ksize;
    uint8_t *o = out + (intptr_t)y * rowBytes;
    for (int c = 0; c < rowBytes; c += 16) {
      v128_t a0 = half, a1 = half, a2 = half, a3 = half;
      const uint8_t *p = first + c;
      for (int t = 0; t < taps; t++, p += rowBytes) {
        v128_t bytes = wasm_v128_load(p);
        v128_t k = wasm_i32x4_splat(w[t]);
        v128_t lo = wasm_u16x8_extend_low_u8x16(bytes);
        v128_t hi = wasm_u16x8_extend_high_u8x16(bytes);
        a0 = wasm_i32x4_add(a0, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(lo), k));
        a1 = wasm_i32x4_add(a1, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(lo), k));
        a2 = wasm_i32x4_add(a2, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(hi), k));
        a3 = wasm_i32x4_add(a3, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(hi), k));
      }
      v128_t w0 = wasm_i16x8_narrow_i32x4(wasm_i32x4_shr(a0, PRECISION_BITS), wasm_i32x4_shr(a1, PRECISION_BITS));
      v128_t w1 = wasm_i16x8_narrow_i32x4(wasm_i32x4_shr(a2, PRECISION_BITS), wasm_i32x4_shr(a3, PRECISION_BITS));
      wasm_v128_store(o + c, wasm_u8x16_narrow_i16x8(w0, w1));
    }
  }
}

/*
 * The cropped window (`width` x `height` RGBX pixels, `rowBytes` apart) into a CHW float tensor
 * of `cropWidth` x `cropHeight`, the window placed at (`left`, `top`); pixels outside it are
 * level 0 (transformers pads with zeros before rescaling). tables: 3 x 256 float32 levels.
 */
EXPORT(write_chw) void write_chw(const uint8_t *window, int rowBytes, int width, int height, int left, int top, int cropWidth,
               int cropHeight, const float *tables, float *out) {
  const int plane = cropWidth * cropHeight;
  if (width != cropWidth || height != cropHeight) {
    for (int c = 0; c < 3; c++) {
      const v128_t zero = wasm_f32x4_splat(tables[c * 256]);
      float *o = out + (intptr_t)c * plane;
      int i = 0;
      for (; i + 4 <= plane; i += 4) wasm_v128_store(o + i, zero);
      for (; i < plane; i++) o[i] = tables[c * 256];
    }
  }
  const float *r = tables;
  const float *g = tables + 256;
  const float *b = tables + 512;
  for (int y = 0; y < height; y++) {
    const uint8_t *p = window + (intptr_t)y * rowBytes;
    const int o = (top + y) * cropWidth + left;
    float *oR = out + o;
    float *oG = out + plane + o;
    float *oB = out + 2 * plane + o;
    for (int x = 0; x < width; x++, p += 4) {
      oR[x] = r[p[0]];
      oG[x] = g[p[1]];
      oB[x] = b[p[2]];
    }
  }
}

/*
 * PNG (spec section 9): undoes the filters of `rows` rows in place. Each row is its filter byte
 * then `rowBytes` bytes; `prior` holds the row above, unfiltered (zeros above the first row of a
 * pass), and on return holds the last row. Returns -1, or the index of a row with an unknown
 * filter type (the rows before it are done). Sub, Average and Paeth of 3- and 4-byte pixels take
 * a pixel at a time in 16-bit lanes; Up takes sixteen bytes at a time.
 */
static inline v128_t load_px(const uint8_t *p, int bpp) {
  return wasm_u16x8_extend_low_u8x16(bpp == 4 ? wasm_v128_load32_zero(p)
                                              : wasm_i32x4_make(p[0] | (p[1] << 8) | (p[2] << 16), 0, 0, 0));
}

static inline void store_px(uint8_t *p, v128_t v, int bpp) {
  v128_t bytes = wasm_u8x16_narrow_i16x8(wasm_v128_and(v, wasm_i16x8_splat(255)), v);
  if (bpp == 4) {
    wasm_v128_store32_lane(p, bytes, 0);
  } else {
    p[0] = (uint8_t)wasm_u8x16_extract_lane(bytes, 0);
    p[1] = (uint8_t)wasm_u8x16_extract_lane(bytes, 1);
    p[2] = (uint8_t)wasm_u8x16_extract_lane(bytes, 2);
  }
}

static void unfilter_pixels(uint8_t *line, const uint8_t *prior, int rowBytes, int bpp, int filter) {
  const v128_t mask = wasm_i16x8_splat(255);
  v128_t a = wasm_i16x8_splat(0);
  v128_t c = wasm_i16x8_splat(0);
  for (int i = 0; i < rowBytes; i += bpp) {
    v128_t x = load_px(line + i, bpp);
    v128_t b = load_px(prior + i, bpp);
    v128_t predicted;
    if (filter == 1) {
      predicted = a;
    } else if (filter == 3) {
      predicted = wasm_u16x8_shr(wasm_i16x8_add(a, b), 1);
    } else {
      v128_t pa = wasm_i16x8_abs(wasm_i16x8_sub(b, c));
      v128_t pb = wasm_i16x8_abs(wasm_i16x8_sub(a, c));
      v128_t pc = wasm_i16x8_abs(wasm_i16x8_sub(wasm_i16x8_add(a, b), wasm_i16x8_add(c, c)));
      v128_t takeA = wasm_v128_and(wasm_i16x8_le(pa, pb), wasm_i16x8_le(pa, pc));
      v128_t bOrC = wasm_v128_bitselect(b, c, wasm_i16x8_le(pb, pc));
      predicted = wasm_v128_bitselect(a, bOrC, takeA);
    }
    a = wasm_v128_and(wasm_i16x8_add(x, predicted), mask);
    c = b;
    store_px(line + i, a, bpp);
  }
}

EXPORT(png_unfilter) int png_unfilter(uint8_t *data, int rows, int rowBytes, int bpp, uint8_t *prior) {
  for (int r = 0; r < rows; r++) {
    uint8_t *line = data + (intptr_t)r * (rowBytes + 1) + 1;
    const int filter = line[-1];
    if (filter > 4) return r;
    if (filter == 2) {
      int i = 0;
      for (; i + 16 <= rowBytes; i += 16) {
        wasm_v128_store(line + i, wasm_i8x16_add(wasm_v128_load(line + i), wasm_v128_load(prior + i)));
      }
      for (; i < rowBytes; i++) line[i] = (uint8_t)(line[i] + prior[i]);
    } else if (filter != 0 && (bpp == 3 || bpp == 4) && rowBytes % bpp == 0) {
      unfilter_pixels(line, prior, rowBytes, bpp, filter);
    } else if (filter != 0) {
      for (int i = 0; i < rowBytes; i++) {
        const int a = i >= bpp ? line[i - bpp] : 0;
        const int b = prior[i];
        const int c = i >= bpp ? prior[i - bpp] : 0;
        int predicted;
        if (filter == 1) {
          predicted = a;
        } else if (filter == 3) {
          predicted = (a + b) >> 1;
        } else {
          const int p = a + b - c;
          const int pa = p > a ? p - a : a - p;
          const int pb = p > b ? p - b : b - p;
          const int pc = p > c ? p - c : c - p;
          predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }
        line[i] = (uint8_t)(line[i] + predicted);
      }
    }
    for (int i = 0; i < rowBytes; i += 16) wasm_v128_store(prior + i, wasm_v128_load(line + i));
  }
  return -1;
}

/*
 * 8-bit RGB rows (each after its filter byte) to RGBA with alpha 255, four pixels at a time.
 * `out` must have 4 bytes of slack; rows need 4 readable bytes past their end.
 */
EXPORT(png_rgb_to_rgba) void png_rgb_to_rgba(const uint8_t *data, int rows, int width, uint8_t *out) {
  const v128_t order = wasm_i8x16_make(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1);
  const v128_t alpha = wasm_i32x4_splat((int32_t)0xff000000);
  const int stride = width * 3 + 1;
  for (int r = 0; r < rows; r++) {
    const uint8_t *p = data + (intptr_t)r * stride + 1;
    uint8_t *o = out + (intptr_t)r * width * 4;
    int x = 0;
    for (; x + 4 <= width; x += 4, p += 12, o += 16) {
      wasm_v128_store(o, wasm_v128_or(wasm_i8x16_swizzle(wasm_v128_load(p), order), alpha));
    }
    for (; x < width; x++, p += 3, o += 4) {
      o[0] = p[0];
      o[1] = p[1];
      o[2] = p[2];
      o[3] = 255;
    }
  }
}
