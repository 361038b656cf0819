/**
 * The memory a Worker gives its model: the isolate's limit less what the service itself needs at
 * its heaviest accepted request, derived from the configured limits. The SDK then sizes each
 * encoder from its file against what is left and refuses one that would not fit with a typed
 * error (503 model_too_large) before ONNX Runtime loads it (sdk/model/memory-budget.ts), so a
 * photo-scale model meets its limits at load time rather than as an isolate ended mid-request.
 *
 * What the service needs besides the model, measured inside workerd by `npm run bench:edge`
 * (bench/results/edge-models.md, the embedded model's rows):
 * - {@link SERVICE_BASELINE_BYTES}: the Worker's heap and buffers with no request running, and the
 *   image decoders' own wasm memories;
 * - {@link DECODE_BYTES_PER_PIXEL} for each decoded pixel of the largest image a request may hold
 *   (DESCRY_MAX_IMAGE_PIXELS; images are decoded one at a time): the request body and its base64
 *   text, the encoded bytes, the decoder's output and working memory, the RGBA copy, the resized
 *   planes, and the garbage of each that V8 has not collected yet.
 * So the per-model request limit is the other way round: a model that needs M leaves room for
 * images of (limit - baseline - M) / DECODE_BYTES_PER_PIXEL pixels, which the refusal names.
 */
import type { MemoryBudget } from 'descry';
import { INFERENCE_BATCH } from './batches.js';
import type { ServiceLimits } from './config.js';

/** Memory per isolate on every Workers plan: 128 MB (counted here as 10^6-byte megabytes, the lower reading). */
export const WORKERS_MEMORY_LIMIT_BYTES = 128_000_000;

/** The Worker's own heap, buffers and decoder memories with no request running (bench:edge). */
export const SERVICE_BASELINE_BYTES = 30 * 2 ** 20;

/** Isolate memory per decoded pixel of the largest image a request may hold (bench:edge). */
export const DECODE_BYTES_PER_PIXEL = 32;

/** The budget a Worker with `limits` gives its model. */
export function workersMemoryBudget(limits: Pick<ServiceLimits, 'maxImagePixels'>): MemoryBudget {
  return {
    limitBytes: WORKERS_MEMORY_LIMIT_BYTES,
    reservedBytes: SERVICE_BASELINE_BYTES + DECODE_BYTES_PER_PIXEL * limits.maxImagePixels,
    // Batch jobs encode this many images per run; requests one.
    imagesPerRun: INFERENCE_BATCH,
  };
}
