/**
 * Run inference in small batches. ONNX Runtime's wasm heap grows to fit the largest batch it has
 * run and never shrinks, so a bounded batch bounds the isolate's memory whatever a request sends
 * (measured with bench/worker-memory.mjs: 16 images at once cost ~54 MB more than 4).
 */
import type { LoadOptions, Matrix } from 'descry';
import type { ServiceConfig } from './config.js';

/** Images per encoder run. */
export const INFERENCE_BATCH = 4;

/**
 * How the engine is loaded for `config`: its pixel budget, and cross-request batching of vision
 * runs when a window is configured, bounded by the same run size as a request's own batches.
 */
export function engineLoadOptions(config: ServiceConfig): LoadOptions {
  return {
    maxImagePixels: config.limits.maxImagePixels,
    ...(config.batchWindowMs > 0
      ? { batching: { windowMs: config.batchWindowMs, maxImages: INFERENCE_BATCH } }
      : {}),
  };
}

/** `run` over consecutive slices of `items`, one slice at a time, results concatenated in order. */
export async function inBatches<T, R>(items: readonly T[], run: (slice: T[]) => Promise<R[]>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += INFERENCE_BATCH) {
    results.push(...(await run(items.slice(start, start + INFERENCE_BATCH))));
  }
  return results;
}

/** `embed` over batches, rows stacked into one matrix. */
export async function embedInBatches<T>(
  items: readonly T[],
  embed: (slice: T[]) => Promise<Matrix>,
): Promise<Matrix> {
  const parts = await inBatches(items, async (slice) => [await embed(slice)]);
  const cols = parts[0]?.cols ?? 0;
  const rows = parts.reduce((n, part) => n + part.rows, 0);
  const data = new Float32Array(rows * cols);
  let offset = 0;
  for (const part of parts) {
    data.set(part.data, offset);
    offset += part.data.length;
  }
  return { rows, cols, data };
}
