/**
 * The memory a Worker gives its model: the isolate's limit less what the service itself needs at
 * its heaviest accepted request, derived from the configured limits. The SDK then sizes each
 * encoder from its file against what is left and refuses one that would not fit with a typed
 * error (503 model_too_large) before ONNX Runtime loads it (sdk/model/memory-budget.ts), so a
 * photo-scale model meets its limits at load time rather than as an isolate ended mid-request.
 *
 * What the service needs besides the model, measured inside workerd by `npm run bench:edge`
 * (bench/results/edge-models.md: the "JS" and "wasm" figures of the isolate peak):
 * - {@link SERVICE_BASELINE_BYTES}: the Worker's heap and buffers with no request running (measured
 *   14 to 19 MB);
 * - {@link DECODER_MEMORY_BYTES}: the image decoders' wasm memories, which grow to their largest
 *   image and stay (measured 19 MB with JPEG, PNG and WebP decoded: mozjpeg's 16.9 MB and the
 *   others');
 * - {@link DECODE_BYTES_PER_PIXEL} for each decoded pixel of the largest image a request may hold
 *   (DESCRY_MAX_IMAGE_PIXELS; images are decoded one at a time): the request body and its base64
 *   text, the encoded bytes, the decoder's output, the RGBA copy, the resized planes, and the
 *   garbage of each that V8 has not collected yet (measured 22 bytes for the embedded model's
 *   largest accepted request, PNGs of 2 Mpx, and 27 for MobileCLIP-S0's at 0.79 Mpx).
 * So the per-model request limit is the other way round: a model that needs M leaves room for
 * images of (128 MB - baseline - decoders - M) / DECODE_BYTES_PER_PIXEL pixels: 0.6 Mpx for
 * MobileCLIP-S0 with int8 weights (wrangler.edge.toml), 2 Mpx for the embedded model.
 */
import type { MemoryBudget } from 'descry';
import { INFERENCE_BATCH } from './batches.js';
import type { ServiceLimits } from './config.js';

/** Memory per isolate on every Workers plan: 128 MB (counted here as 10^6-byte megabytes, the lower reading). */
export const WORKERS_MEMORY_LIMIT_BYTES = 128_000_000;

/** The Worker's own heap and buffers with no request running (bench:edge). */
export const SERVICE_BASELINE_BYTES = 20_000_000;

/** The image decoders' wasm memories once each has run (bench:edge). */
export const DECODER_MEMORY_BYTES = 20_000_000;

/** Isolate memory per decoded pixel of the largest image a request may hold (bench:edge). */
export const DECODE_BYTES_PER_PIXEL = 24;

/**
 * The budget a Worker with `limits` gives its model. Requests encode one image per run; a Worker
 * that consumes batch jobs encodes {@link INFERENCE_BATCH} per run (worker/jobs), and its model is
 * sized for that (`jobs`). `memoryLimitMb` (DESCRY_MEMORY_LIMIT_MB) replaces the 128 MB, for a
 * runtime with another limit or to measure a model past it (bench:edge); "0" turns the budget off.
 */
export function workersMemoryBudget(
  limits: Pick<ServiceLimits, 'maxImagePixels'>,
  options: { jobs?: boolean; memoryLimitMb?: string | undefined } = {},
): MemoryBudget | undefined {
  const configured = options.memoryLimitMb?.trim();
  const limitBytes = configured ? Number(configured) * 1e6 : WORKERS_MEMORY_LIMIT_BYTES;
  if (!Number.isFinite(limitBytes) || limitBytes < 0) {
    throw new Error(
      `DESCRY_MEMORY_LIMIT_MB must be a number of megabytes, got ${JSON.stringify(configured)}`,
    );
  }
  if (limitBytes === 0) return undefined;
  return {
    limitBytes,
    reservedBytes:
      SERVICE_BASELINE_BYTES + DECODER_MEMORY_BYTES + DECODE_BYTES_PER_PIXEL * limits.maxImagePixels,
    imagesPerRun: options.jobs ? INFERENCE_BATCH : 1,
  };
}
