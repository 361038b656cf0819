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
