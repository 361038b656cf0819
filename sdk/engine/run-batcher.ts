/**
 * Cross-request batching of vision-encoder runs: concurrent calls (requests of a server) that arrive
 * within a short window are joined into one run of the model, and each gets its own rows back.
 *
 * Why a window: onnxruntime runs on the calling thread, so requests that arrive during a run wait
 * in the event loop and reach the encoder one by one, each after its own decoding; the first of
 * them waits `windowMs` for the others instead of running alone. A run never exceeds `maxImages`
 * (bounded memory, and bounded latency for the first caller); a call that alone fills a run goes
 * straight through. Only inputs of the same shape are joined (CLIP and SigLIP crop to one size).
 *
 * Whether it pays depends on the model: a larger batch makes each image cheaper only when the
 * per-run overhead is large next to the work per image (`npm run bench:real`, "concurrency").
 */
import type { Matrix } from '../types.js';

/** How calls are joined. */
export interface BatchingOptions {
  /** How long the first call of a batch waits for others, in milliseconds (default 2). */
  windowMs?: number;
  /** Most images in one run (default 8). */
  maxImages?: number;
  /** Hears the size of each run (for metrics: how often requests were joined). */
  onRun?: (images: number) => void;
}

/** One encoder run: an [N, C, H, W] batch to N rows. */
export type PixelRun = (
  pixels: Float32Array,
  dims: readonly [number, number, number, number],
) => Promise<Matrix>;

interface Waiting {
  pixels: Float32Array;
  images: number;
  resolve(rows: Matrix): void;
  reject(error: unknown): void;
}

interface Batch {
  shape: readonly [number, number, number];
  waiting: Waiting[];
  images: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** `run`, with concurrent calls of the same shape joined into runs of at most `maxImages` images. */
export function batchedRun(run: PixelRun, options: BatchingOptions = {}): PixelRun {
  const windowMs = options.windowMs ?? 2;
  const maxImages = Math.max(1, options.maxImages ?? 8);
  const open = new Map<string, Batch>();

  const flush = (key: string, batch: Batch) => {
    if (open.get(key) === batch) open.delete(key);
    if (batch.timer !== undefined) clearTimeout(batch.timer);
    const [c, h, w] = batch.shape;
    const size = c * h * w;
    let pixels = batch.waiting[0]!.pixels;
    if (batch.waiting.length > 1) {
      pixels = new Float32Array(batch.images * size);
      let offset = 0;
      for (const item of batch.waiting) {
        pixels.set(item.pixels.subarray(0, item.images * size), offset);
        offset += item.images * size;
      }
    }
    options.onRun?.(batch.images);
    run(pixels, [batch.images, c, h, w]).then(
      (rows) => {
        let row = 0;
        for (const item of batch.waiting) {
          const data = rows.data.slice(row * rows.cols, (row + item.images) * rows.cols);
          item.resolve({ rows: item.images, cols: rows.cols, data });
          row += item.images;
        }
      },
      (error: unknown) => {
        for (const item of batch.waiting) item.reject(error);
      },
    );
  };

  return (pixels, dims) => {
    const [images, c, h, w] = dims;
    if (images >= maxImages) {
      options.onRun?.(images);
      return run(pixels, dims);
    }
    const key = `${c}x${h}x${w}`;
    let batch = open.get(key);
    if (batch && batch.images + images > maxImages) {
      flush(key, batch);
      batch = undefined;
    }
    if (!batch) {
      batch = { shape: [c, h, w], waiting: [], images: 0, timer: undefined };
      open.set(key, batch);
      const started = batch;
      batch.timer = setTimeout(() => flush(key, started), windowMs);
    }
    const result = new Promise<Matrix>((resolve, reject) => {
      batch!.waiting.push({ pixels, images, resolve, reject });
    });
    batch.images += images;
    if (batch.images >= maxImages) flush(key, batch);
    return result;
  };
}
