/**
 * How big an encoder run may be. ONNX Runtime's wasm heap grows to fit the largest batch it has
 * run and never shrinks, so a bounded run bounds the isolate's memory whatever arrives (measured
 * with bench/worker-memory.mjs: 16 images at once cost ~54 MB more than 4). Requests encode
 * DESCRY_IMAGES_PER_RUN images per run (default 1) through the inference gate
 * (./inference.ts); job batches and cross-request batching use this bound.
 */
import type { LoadOptions } from 'descry';
import type { ServiceConfig } from './config.js';
import type { ServiceObserver } from './observer.js';

/** Images per encoder run. */
export const INFERENCE_BATCH = 4;

/**
 * How the engine is loaded for `config`: its pixel budget, and cross-request batching of vision
 * runs when a window is configured, bounded by the same run size as a request's own batches.
 */
export function engineLoadOptions(config: ServiceConfig, observer?: ServiceObserver): LoadOptions {
  const onRun = observer?.visionRun;
  return {
    maxImagePixels: config.limits.maxImagePixels,
    imagesPerRun: config.limits.imagesPerRun,
    promptsPerRun: config.limits.promptsPerRun,
    ...(config.batchWindowMs > 0
      ? {
          batching: {
            windowMs: config.batchWindowMs,
            maxImages: INFERENCE_BATCH,
            ...(onRun ? { onRun: (images: number) => onRun(images) } : {}),
          },
        }
      : {}),
  };
}
