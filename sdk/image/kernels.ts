/**
 * The SIMD image kernels (./wasm/kernels.c, built by scripts/build-image-wasm.sh): loading the
 * wasm, laying out its memory, and the two operations built on it, a Pillow-exact resize of a
 * window ({@link resampleWindow}) and the CHW float tensor of a window ({@link writeChw}).
 *
 * Why wasm: the convolution passes and the per-pixel conversions were most of Descry's decode +
 * preprocess time in JavaScript (`npm run bench:preprocess`, "Descry by stage"); the same integer
 * arithmetic four channels or sixteen bytes at a time gives the same values faster. The module is
 * a few KB and loads synchronously, because preprocessing is synchronous:
 * - Node and browsers compile the bytes embedded in ./wasm/kernels-wasm.ts on first use (the
 *   module is under the 4 KB that Chromium compiles synchronously on its main thread);
 * - workerd cannot compile wasm from bytes at run time, so its entry point (sdk/workerd.ts) imports
 *   kernels.wasm, which wrangler precompiles, and passes it to {@link configureImageKernels}.
 *
 * Memory: the image is copied into the kernels' memory in bands of rows (at most {@link BAND}
 * bytes), so however large the image, the instance keeps only the resized window's working set;
 * a working set above {@link KEEP_LIMIT} gets a throwaway instance, so one odd request does not pin
 * its memory for the life of the process.
 */
import { BackendError } from '../errors.js';
import { KERNELS_WASM_BASE64 } from './wasm/kernels-wasm.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  resample_h(
    src: number,
    rowBytes: number,
    stride: number,
    width: number,
    rows: number,
    bounds: number,
    weights: number,
    ksize: number,
    count: number,
    out: number,
    outRowBytes: number,
    backdrop: number,
    rowBuffer: number,
  ): void;
  resample_v(
    src: number,
    rowBytes: number,
    bounds: number,
    weights: number,
    ksize: number,
    rows: number,
    out: number,
  ): void;
  png_unfilter(data: number, rows: number, rowBytes: number, bpp: number, prior: number): number;
  png_rgb_to_rgba(data: number, rows: number, width: number, out: number): void;
  write_chw(
    window: number,
    rowBytes: number,
    width: number,
    height: number,
    left: number,
    top: number,
    cropWidth: number,
    cropHeight: number,
    tables: number,
    out: number,
  ): void;
}

let configured: WebAssembly.Module | undefined;
let compiled: WebAssembly.Module | undefined;
let kept: KernelExports | undefined;

/**
 * Hands the kernels a precompiled module (workerd's entry point does, with its import of
 * kernels.wasm). Without it, the embedded bytes are compiled on first use.
 */
export function configureImageKernels(module: WebAssembly.Module | undefined): void {
  configured = module;
  compiled = undefined;
  kept = undefined;
}

function embeddedBytes(): Uint8Array<ArrayBuffer> {
  const text = atob(KERNELS_WASM_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function module(): WebAssembly.Module {
  if (compiled !== undefined) return compiled;
  try {
    compiled = configured ?? new WebAssembly.Module(embeddedBytes());
  } catch (cause) {
    throw new BackendError(
      'backend_failed',
      "Descry's image kernels (wasm) failed to load; on workerd import 'descry' (its entry point passes the precompiled module).",
      { cause },
    );
  }
  return compiled;
}

function instantiate(): KernelExports {
  return new WebAssembly.Instance(module(), {}).exports as unknown as KernelExports;
}

/** Rows of the source image copied into the kernels' memory at a time. */
const BAND = 1 << 20;
/** Largest working set kept in the reused instance's memory. */
const KEEP_LIMIT = 32 << 20;
const PAGE = 65536;

const align = (bytes: number) => (bytes + 15) & ~15;

/** A bump allocator over an instance's memory, for one operation. */
class Arena {
  readonly kernels: KernelExports;
  #next: number;

  constructor(bytes: number) {
    if (bytes > KEEP_LIMIT) this.kernels = instantiate();
    else {
      kept ??= instantiate();
      this.kernels = kept;
    }
    const base = align(this.kernels.__heap_base.value as number);
    const needed = base + bytes;
    const memory = this.kernels.memory;
    if (memory.buffer.byteLength < needed) {
      memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE));
    }
    this.#next = base;
  }

  take(bytes: number): number {
    const at = this.#next;
    this.#next += align(bytes);
    return at;
  }

  get buffer(): ArrayBuffer {
    return this.kernels.memory.buffer as ArrayBuffer;
  }

  bytes(at: number, length: number): Uint8Array {
    return new Uint8Array(this.buffer, at, length);
  }

  ints(at: number, values: Int32Array): void {
    new Int32Array(this.buffer, at, values.length).set(values);
  }
}

/** Per output index: first source index and tap count (pairs), and `ksize` fixed-point weights each. */
export interface Coefficients {
  ksize: number;
  bounds: Int32Array;
  weights: Int32Array;
}

/** Interleaved 8-bit pixels: RGB (stride 3) or RGBA (stride 4, alpha per `backdrop`). */
export interface PixelSource {
  width: number;
  height: number;
  stride: 3 | 4;
  data: Uint8Array;
  /** For RGBA: the RGB colour to composite transparent pixels onto, or undefined to ignore alpha. */
  backdrop: readonly [number, number, number] | undefined;
}

/** The resize of one window: horizontal and vertical coefficients, and the source rows they read. */
export interface ResamplePlan {
  /** Source rows the passes read: `rows` from `firstRow`. */
  firstRow: number;
  rows: number;
  /** Window size in output pixels. */
  width: number;
  height: number;
  /** Horizontal coefficients, over the source row (identity ones when the width does not change). */
  horizontal: Coefficients;
  /** Vertical coefficients relative to `firstRow`; undefined when the height does not change. */
  vertical: Coefficients | undefined;
}

/** What {@link resampleWindow} leaves in the kernels' memory, valid until the next kernel call. */
interface Window {
  arena: Arena;
  at: number;
  rowBytes: number;
  width: number;
  height: number;
}

function sizeOf(c: Coefficients | undefined): number {
  return c === undefined ? 0 : align(c.bounds.byteLength) + align(c.weights.byteLength);
}

function place(arena: Arena, c: Coefficients): { bounds: number; weights: number } {
  const bounds = arena.take(c.bounds.byteLength);
  const weights = arena.take(c.weights.byteLength);
  arena.ints(bounds, c.bounds);
  arena.ints(weights, c.weights);
  return { bounds, weights };
}

/** Runs both passes of `plan` over `src`; `extra` more bytes are reserved for the caller. */
function resample(src: PixelSource, plan: ResamplePlan, extra: number): Window & { extra: number } {
  const srcRowBytes = src.width * src.stride;
  const bandRows = Math.max(1, Math.min(plan.rows, Math.floor(BAND / srcRowBytes)));
  const rowBytes = align(plan.width * 4);
  const passedBytes = plan.vertical === undefined ? 0 : plan.rows * rowBytes;
  const windowBytes = plan.height * rowBytes;
  const arena = new Arena(
    sizeOf(plan.horizontal) +
      sizeOf(plan.vertical) +
      align(bandRows * srcRowBytes + 16) +
      align(src.width * 4 + 16) +
      passedBytes +
      windowBytes +
      align(extra) +
      128,
  );
  const { kernels } = arena;
  const h = place(arena, plan.horizontal);
  const v = plan.vertical === undefined ? undefined : place(arena, plan.vertical);
  const band = arena.take(bandRows * srcRowBytes + 16);
  const rowBuffer = arena.take(src.width * 4 + 16);
  const window = arena.take(windowBytes);
  const passed = plan.vertical === undefined ? window : arena.take(passedBytes);
  const extraAt = arena.take(extra);
  const backdrop =
    src.stride === 4 && src.backdrop !== undefined
      ? src.backdrop[0] | (src.backdrop[1] << 8) | (src.backdrop[2] << 16)
      : -1;
  for (let y = 0; y < plan.rows; y += bandRows) {
    const rows = Math.min(bandRows, plan.rows - y);
    const from = (plan.firstRow + y) * srcRowBytes;
    arena.bytes(band, rows * srcRowBytes).set(src.data.subarray(from, from + rows * srcRowBytes));
    kernels.resample_h(
      band,
      srcRowBytes,
      src.stride,
      src.width,
      rows,
      h.bounds,
      h.weights,
      plan.horizontal.ksize,
      plan.width,
      passed + y * rowBytes,
      rowBytes,
      backdrop,
      rowBuffer,
    );
  }
  if (plan.vertical !== undefined && v !== undefined) {
    kernels.resample_v(passed, rowBytes, v.bounds, v.weights, plan.vertical.ksize, plan.height, window);
  }
  return { arena, at: window, rowBytes, width: plan.width, height: plan.height, extra: extraAt };
}

/** Resizes the window of `plan` and returns it as RGB bytes in `out`. */
export function resampleWindow(src: PixelSource, plan: ResamplePlan, out: Uint8Array): void {
  const window = resample(src, plan, 0);
  const { rowBytes, width, height } = window;
  const bytes = window.arena.bytes(window.at, height * rowBytes);
  for (let y = 0, o = 0; y < height; y++) {
    for (let i = y * rowBytes, end = i + width * 4; i < end; i += 4, o += 3) {
      out[o] = bytes[i]!;
      out[o + 1] = bytes[i + 1]!;
      out[o + 2] = bytes[i + 2]!;
    }
  }
}

/**
 * Resizes the window of `plan` and writes the CHW float tensor of a `cropWidth × cropHeight` crop
 * into `out` at `offset`: the window at (`left`, `top`) of the crop, level 0 around it, each level
 * mapped through `tables` (3 × 256 float32, one table per channel).
 */
export function writeChw(
  src: PixelSource,
  plan: ResamplePlan,
  crop: { left: number; top: number; width: number; height: number },
  tables: Float32Array,
  out: Float32Array,
  offset: number,
): void {
  const floats = 3 * crop.width * crop.height;
  const window = resample(src, plan, tables.byteLength + floats * 4 + 16);
  const { arena } = window;
  const tablesAt = window.extra;
  const outAt = tablesAt + align(tables.byteLength);
  new Float32Array(arena.buffer, tablesAt, tables.length).set(tables);
  arena.kernels.write_chw(
    window.at,
    window.rowBytes,
    window.width,
    window.height,
    crop.left,
    crop.top,
    crop.width,
    crop.height,
    tablesAt,
    outAt,
  );
  out.set(new Float32Array(arena.buffer, outAt, floats), offset);
}

/**
 * Undoes the PNG filters of `rows` rows of `rowBytes` bytes (each after its filter byte) from
 * `start` in `data`, a band of rows at a time in the kernels' memory. With `rgba` (8-bit RGB
 * without a colour key, not interlaced) the rows are written there as RGBA with alpha 255; else
 * the unfiltered rows go back into `data`. Returns -1, or the index of the first row whose filter
 * type is unknown.
 */
export function unfilterPngRows(
  data: Uint8Array,
  start: number,
  rows: number,
  rowBytes: number,
  bpp: number,
  rgba: Uint8Array | undefined,
): number {
  const stride = rowBytes + 1;
  const width = rowBytes / 3;
  const bandRows = Math.max(1, Math.min(rows, Math.floor(BAND / stride)));
  const outRowBytes = rgba === undefined ? 0 : width * 4;
  const arena = new Arena(
    align(bandRows * stride + 16) + align(rowBytes + 16) + align(bandRows * outRowBytes + 16) + 64,
  );
  const band = arena.take(bandRows * stride + 16);
  const prior = arena.take(rowBytes + 16);
  const out = arena.take(bandRows * outRowBytes + 16);
  arena.bytes(prior, rowBytes + 16).fill(0);
  for (let y = 0; y < rows; y += bandRows) {
    const count = Math.min(bandRows, rows - y);
    const from = start + y * stride;
    arena.bytes(band, count * stride).set(data.subarray(from, from + count * stride));
    const bad = arena.kernels.png_unfilter(band, count, rowBytes, bpp, prior);
    if (bad >= 0) return y + bad;
    if (rgba === undefined) {
      data.set(arena.bytes(band, count * stride), from);
    } else {
      arena.kernels.png_rgb_to_rgba(band, count, width, out);
      rgba.set(arena.bytes(out, count * outRowBytes), y * outRowBytes);
    }
  }
  return -1;
}
