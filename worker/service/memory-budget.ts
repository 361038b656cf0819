/**
 * The memory a Worker gives a model it loads at run time (DESCRY_MODEL "r2" or a URL): the
 * isolate's limit less what the service itself holds, and room for the largest request its limits
 * accept. The SDK sizes each encoder from its file against that and refuses one that would not
 * fit with a typed error (503 model_too_large) before ONNX Runtime loads it
 * (sdk/engine/memory-budget.ts), so a photo-scale model meets the limit at load time rather than as
 * an isolate ended mid-request. The embedded model is not sized here: it is bundled, and its fit
 * at the deployed limits is what bench:heavy measures.
 *
 * What the service holds besides the model, measured inside workerd by `npm run bench:edge`
 * (bench/results/edge-models.md: the "JS" and "wasm" parts of the isolate peak):
 * - {@link SERVICE_BASELINE_BYTES}: the Worker's heap and buffers with no request running
 *   (measured 14.5 MB for the edge Worker, 19 MB with the embedded model bundled);
 * - {@link DECODER_MEMORY_BYTES}: the image decoders' wasm memories, which each start at 16 MiB
 *   and stay once a decoder has run (measured 33 MB with a full-size JPEG, mozjpeg's, and a WebP
 *   decoded; PNGs and DCT-scaled JPEGs add nothing to it);
 * - a request: {@link DECODE_BYTES_PER_PIXEL} per decoded pixel of the largest image it may hold
 *   (DESCRY_MAX_IMAGE_PIXELS; images are decoded one at a time): the body and its base64 text, the
 *   encoded bytes, the decoder's output, the RGBA copy, the resized planes, and the garbage of each
 *   that V8 has not collected yet (measured 31 bytes a pixel for the embedded model's largest
 *   accepted request, PNGs of 2 Mpx, and 24 to 46 over three runs for MobileCLIP-S0's, PNGs of
 *   0.59 Mpx: how much garbage a sample catches depends on when V8 collects).
 * So the per-model request limit is the other way round: an encoder that needs M in ONNX Runtime
 * (and its file F in JavaScript while it loads) leaves room for images of
 * (128 MB - baseline - decoders - M) / DECODE_BYTES_PER_PIXEL pixels, which the refusal names:
 * 0.45 Mpx for MobileCLIP-S0 with int8 weights (wrangler.edge.toml sets 768×576).
 */
import type { MemoryBudget } from 'descry';
import { INFERENCE_BATCH } from './batches.js';
import type { ServiceLimits } from './config.js';

/** Memory per isolate on every Workers plan: 128 MB (counted here as 10^6-byte megabytes, the lower reading). */
export const WORKERS_MEMORY_LIMIT_BYTES = 128_000_000;

/** The Worker's own heap and buffers with no request running (bench:edge). */
export const SERVICE_BASELINE_BYTES = 15_000_000;

/** The image decoders' wasm memories once each has run (bench:edge). */
export const DECODER_MEMORY_BYTES = 34_000_000;

/** Isolate memory per decoded pixel of the largest image a request may hold (bench:edge). */
export const DECODE_BYTES_PER_PIXEL = 44;

/**
 * The budget a Worker with `limits` gives a model it loads at run time. Requests encode
 * DESCRY_IMAGES_PER_RUN images per run; a Worker that consumes batch jobs encodes
 * {@link INFERENCE_BATCH} per run (worker/jobs), and its model is sized for the larger (`jobs`).
 * `limits.memoryLimitMb` (DESCRY_MEMORY_LIMIT_MB, default 128) is the isolate's limit, for a
 * runtime with another one or to measure a model past it (bench:edge); 0 turns the budget off.
 */
export function workersMemoryBudget(
  limits: Pick<ServiceLimits, 'maxImagePixels' | 'imagesPerRun' | 'memoryLimitMb'>,
  options: { jobs?: boolean } = {},
): MemoryBudget | undefined {
  if (limits.memoryLimitMb === 0) return undefined;
  // 128 MB is WORKERS_MEMORY_LIMIT_BYTES: counted as 10^6-byte megabytes, the lower reading.
  const limitBytes = limits.memoryLimitMb * 1e6;
  return {
    limitBytes,
    reservedBytes: SERVICE_BASELINE_BYTES + DECODER_MEMORY_BYTES,
    requestBytes: DECODE_BYTES_PER_PIXEL * limits.maxImagePixels,
    imagesPerRun: Math.max(limits.imagesPerRun, options.jobs ? INFERENCE_BATCH : 1),
  };
}
