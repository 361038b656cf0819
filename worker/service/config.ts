/**
 * The service's configuration, declared once: every variable a deployment sets (Worker vars and
 * secrets in wrangler.toml, the Node server's environment), with its default, its parser and its
 * documentation. Hosts pass their variables to {@link readServiceConfig} and nothing else in the
 * service reads the environment. The README's configuration table (`npm run readme:sync`) and the
 * Worker's bindings types (../hosts/bindings.ts) are derived from {@link SERVICE_VARS}; a test
 * checks the table.
 *
 * Limits default to what a Worker's 128 MB and /healthz under 200 ms beside the heaviest accepted
 * request allow with the embedded model (measured by `npm run bench:heavy`): one image is decoded
 * at a time and its decode cannot be interrupted, so the per-image bound (2 Mpx: a 1920×1080 frame
 * fits) sets both the peak memory and the longest pause of the event loop; the per-request sum
 * (8 Mpx) bounds how long one request takes.
 */

import { readVars, type VarNames, type VarValues, vars } from 'descry';
import { LLM_VARS } from 'descry/llm';
import { JOB_VARS, type JobConfig, jobConfigOf } from '../jobs/job-config.js';

/** Every variable of the service. */
export const SERVICE_VARS = {
  apiKeys: vars.list('DESCRY_API_KEYS', 'comma-separated bearer keys, compared in constant time', {
    secret: true,
  }),
  adminKeys: vars.list(
    'DESCRY_ADMIN_KEYS',
    'bearer keys that may also see and cancel every key’s jobs (other keys see only their own)',
    { secret: true },
  ),
  dev: vars.flag(
    'DESCRY_DEV',
    'with no keys configured, `true` opens the API; otherwise every `/v1` and `/models` call needs a key',
  ),
  corsOrigins: vars.list('DESCRY_CORS_ORIGINS', 'origins allowed by CORS, comma-separated, or `*`'),
  model: vars.text(
    'DESCRY_MODEL',
    'the model: `embedded`; on Workers `r2` (binding `MODEL_BUCKET`) or an `https://` folder; on Node a folder, URL or hub id',
    'embedded',
    { aliases: ['DESCRY_MODEL_DIR'] },
  ),
  modelR2Prefix: vars.text('DESCRY_MODEL_R2_PREFIX', 'prefix of the model files in `MODEL_BUCKET`', '', {
    aliases: ['MODEL_R2_PREFIX'],
    hosts: 'workers',
    defaultText: 'none',
  }),
  limits: {
    maxBodyBytes: vars.integer(
      'DESCRY_MAX_BODY_BYTES',
      'request body size; larger bodies get 413 before they are buffered',
      8 * 2 ** 20,
      1,
      { defaultText: '8 MiB' },
    ),
    maxImagePixels: vars.integer(
      'DESCRY_MAX_IMAGE_PIXELS',
      'pixels of one image as decoded (a large JPEG at its reduced DCT scale), read from its header before decoding',
      2 ** 21,
      1,
      { defaultText: '2 Mpx (2097152)' },
    ),
    maxRequestPixels: vars.integer(
      'DESCRY_MAX_REQUEST_PIXELS',
      "sum over a request's images, read the same way: 422 `image_too_large` before any is decoded",
      2 ** 23,
      1,
      { defaultText: '8 Mpx (8388608)' },
    ),
    bodyTimeoutMs: vars.integer(
      'DESCRY_BODY_TIMEOUT_MS',
      'time for a request body to arrive whole; a slower one gets 408 (it holds no inference slot meanwhile)',
      60_000,
      1,
    ),
    requestTimeoutMs: vars.integer(
      'DESCRY_REQUEST_TIMEOUT_MS',
      'deadline of one request once its body has arrived; past it its work stops and it gets 503 `deadline_exceeded`',
      30_000,
      1,
    ),
    rateLimitRequests: vars.integer(
      'DESCRY_RATE_LIMIT_REQUESTS',
      "requests one API key may make per period (a token bucket per key; on Workers the `RATE_LIMITER` binding's own limit when it is bound); over it, 429 `rate_limited` with Retry-After",
      600,
      1,
    ),
    rateLimitPeriodSeconds: vars.integer(
      'DESCRY_RATE_LIMIT_PERIOD_SECONDS',
      'the period of that limit',
      60,
      1,
    ),
    maxImageDecodeBytes: vars.integer(
      'DESCRY_MAX_IMAGE_DECODE_BYTES',
      "bytes one image's decoder may allocate, from its header (a progressive JPEG's full-size coefficients, whatever its scale): the peak memory of a decode, and its time (a 2 Mpx PNG needs 18 MiB; a progressive JPEG of about 2700² 24 MiB)",
      24 * 2 ** 20,
      1,
      { defaultText: '24 MiB' },
    ),
    maxRequestDecodeBytes: vars.integer(
      'DESCRY_MAX_REQUEST_DECODE_BYTES',
      "sum of that over a request's images: how much decoding work one request may ask for",
      96 * 2 ** 20,
      1,
      { defaultText: '96 MiB' },
    ),
    maxRequestPromptTokens: vars.integer(
      'DESCRY_MAX_REQUEST_PROMPT_TOKENS',
      'tokens the text encoder may process for one request (labels × templates, descriptors, texts; prompts the model has cached cost nothing); over it, 422 `text_too_large`',
      16_384,
      1,
    ),
    promptsPerRun: vars.integer(
      'DESCRY_PROMPTS_PER_RUN',
      'prompts per text-encoder run: each run is one unit at the inference gate, so /healthz gets in between',
      32,
      1,
    ),
    maxLabels: vars.integer('DESCRY_MAX_LABELS', 'labels per request or classifier', 256, 1),
    maxImages: vars.integer('DESCRY_MAX_IMAGES', 'images per request', 16, 1),
    maxTexts: vars.integer('DESCRY_MAX_TEXTS', 'texts per embeddings request', 256, 1),
    maxPendingRequests: vars.integer(
      'DESCRY_MAX_PENDING_REQUESTS',
      'inference requests admitted at once per isolate/process; the next gets 503 `overloaded` with `Retry-After`',
      8,
      1,
    ),
    inferenceConcurrency: vars.integer(
      'DESCRY_INFERENCE_CONCURRENCY',
      'units of work (one vision run; one text run) at once, first in first out, each on a fresh turn of the event loop',
      1,
      1,
    ),
    memoryLimitMb: vars.integer(
      'DESCRY_MEMORY_LIMIT_MB',
      'memory per isolate, in MB, that a model loaded at run time (`r2` or a URL) is sized against before it loads: one that cannot fit gets 503 `model_too_large` naming what it needs; `0`: no check (worker/service/memory-budget.ts)',
      128,
      0,
      { hosts: 'workers' },
    ),
    imagesPerRun: vars.integer(
      'DESCRY_IMAGES_PER_RUN',
      "images per vision-encoder run of a request (ONNX Runtime's wasm heap grows to the largest run and never shrinks)",
      1,
      1,
    ),
  },
  batchWindowMs: vars.integer(
    'DESCRY_BATCH_WINDOW_MS',
    "joins concurrent requests' images into one vision run (at most 4), the first waiting this many ms; needs `DESCRY_INFERENCE_CONCURRENCY` > 1",
    0,
    0,
    { defaultText: '0 (off)' },
  ),
  llm: LLM_VARS,
  jobs: JOB_VARS,
  accessLog: vars.flag(
    'DESCRY_ACCESS_LOG',
    'one JSON line per request (console on Workers, stdout on Node)',
    true,
  ),
  node: {
    headersTimeoutMs: vars.integer(
      'DESCRY_HEADERS_TIMEOUT_MS',
      "time for a request's headers to arrive on Node; a slower client gets 408",
      20_000,
      1,
      { hosts: 'node' },
    ),
    port: vars.integer('DESCRY_PORT', 'port of the Node server', 8787, 0, {
      aliases: ['PORT'],
      hosts: 'node',
    }),
    host: vars.text('DESCRY_HOST', 'address the Node server listens on', '127.0.0.1', {
      aliases: ['HOST'],
      hosts: 'node',
    }),
    dataDir: vars.text(
      'DESCRY_DATA_DIR',
      'folder of classifiers, adaptation caches and job results on Node (memory when empty)',
      undefined,
      { hosts: 'node', defaultText: '`.data/descry` (`npm run serve`), memory (`startNodeServer`)' },
    ),
  },
} as const;

type Values = VarValues<typeof SERVICE_VARS>;

/** Upper bounds on one request, and on the inference one isolate/process runs at once. */
export type ServiceLimits = Values['limits'];

/** Resolved service configuration. */
export interface ServiceConfig extends Omit<Values, 'jobs'> {
  jobs: JobConfig;
}

/** Every variable name the service reads (the vars of a Worker's bindings). */
export type ServiceVarName = VarNames<typeof SERVICE_VARS>;

/** Default batching window: off. bench:real gains 1.41x per image with it at ViT-B/32 size on onnxruntime-node, the embedded 48 px model nothing (see README). */
export const DEFAULT_BATCH_WINDOW_MS = 0;

/** The default limits (what {@link readServiceConfig} gives when no limit is set). */
export const DEFAULT_LIMITS: ServiceLimits = readVars(SERVICE_VARS.limits, {});

/**
 * Read the configuration from a flat record of variables (Worker `env` or `process.env`).
 * Throws ConfigError on a malformed value: that is an operator mistake, not a request error.
 */
export function readServiceConfig(
  source: Readonly<Record<string, unknown>>,
  warn?: (message: string) => void,
): ServiceConfig {
  const values = readVars(SERVICE_VARS, source, warn);
  return { ...values, jobs: jobConfigOf(values.jobs) };
}
