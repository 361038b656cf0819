/**
 * Service configuration read from Worker vars/secrets or process.env. Everything a deployment
 * tunes lives here, so routes never read the environment themselves.
 */

/** Upper bounds on one request, and on the inference one isolate/process runs at once. */
export interface ServiceLimits {
  /** Request body size in bytes; larger bodies get 413 before they are buffered. */
  maxBodyBytes: number;
  /** Width × height of one image, read from its header before decoding. */
  maxImagePixels: number;
  /** Width × height summed over a request's images, read from their headers before decoding any. */
  maxRequestPixels: number;
  /** Candidate labels per request or classifier. */
  maxLabels: number;
  /** Images per request. */
  maxImages: number;
  /** Texts per embeddings request. */
  maxTexts: number;
  /**
   * Requests doing inference at once, running or waiting their turn; one more gets 503 with
   * Retry-After before its body is read.
   */
  maxPendingRequests: number;
  /** Units of inference (one image; one label set) running at once; the rest wait in order. */
  inferenceConcurrency: number;
}

/** Resolved service configuration. */
export interface ServiceConfig {
  /** Accepted bearer keys. Empty means no key can authenticate. */
  apiKeys: string[];
  /** Development mode: with no keys configured the API is open. Never set it in production. */
  dev: boolean;
  /** Origins allowed by CORS; `['*']` for any, empty to send no CORS headers. */
  corsOrigins: string[];
  limits: ServiceLimits;
  /**
   * How long the first image of a vision-encoder run waits for images of concurrent requests to
   * join it, in milliseconds; 0 runs each request alone (see sdk/engine/run-batcher.ts).
   */
  batchWindowMs: number;
}

/** Default batching window: off. bench:real gains 1.41x per image with it at ViT-B/32 size on onnxruntime-node, the embedded 48 px model nothing (see README). */
export const DEFAULT_BATCH_WINDOW_MS = 0;

/**
 * Defaults sized for a Worker's 128 MB with the embedded model and for /healthz staying under
 * 200 ms beside the heaviest request they accept (measured by `npm run bench:heavy`; see
 * worker/README.md). One image is decoded at a time and its decode cannot be interrupted, so the
 * per-image bound (2 Mpx: a 1920×1080 frame fits) sets both the peak memory and the longest pause
 * of the event loop; the per-request sum (8 Mpx) bounds how long one request takes.
 */
export const DEFAULT_LIMITS: ServiceLimits = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxImagePixels: 2 ** 21,
  maxRequestPixels: 2 ** 23,
  maxLabels: 256,
  maxImages: 16,
  maxTexts: 256,
  maxPendingRequests: 8,
  inferenceConcurrency: 1,
};

/** Environment variable names, shared by wrangler.toml, the Node server and the docs. */
export const CONFIG_VARS = {
  apiKeys: 'DESCRY_API_KEYS',
  dev: 'DESCRY_DEV',
  corsOrigins: 'DESCRY_CORS_ORIGINS',
  maxBodyBytes: 'DESCRY_MAX_BODY_BYTES',
  maxImagePixels: 'DESCRY_MAX_IMAGE_PIXELS',
  maxRequestPixels: 'DESCRY_MAX_REQUEST_PIXELS',
  maxLabels: 'DESCRY_MAX_LABELS',
  maxImages: 'DESCRY_MAX_IMAGES',
  maxTexts: 'DESCRY_MAX_TEXTS',
  maxPendingRequests: 'DESCRY_MAX_PENDING_REQUESTS',
  inferenceConcurrency: 'DESCRY_INFERENCE_CONCURRENCY',
  batchWindowMs: 'DESCRY_BATCH_WINDOW_MS',
} as const;

function list(value: unknown): string[] {
  if (typeof value !== 'string') return [];
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function flag(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  return typeof value === 'string' && ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase());
}

function integerAtLeast(min: number, name: string, value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const parsed = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isSafeInteger(parsed) || parsed < min) {
    // A typo in a limit must stop the deploy, not silently disable the limit.
    const what = min > 0 ? 'a positive integer' : 'an integer of at least 0';
    throw new Error(`${name} must be ${what}, got ${JSON.stringify(value)}`);
  }
  return parsed;
}

const positiveInteger = (name: string, value: unknown, fallback: number) =>
  integerAtLeast(1, name, value, fallback);

/**
 * Read the configuration from a flat record of variables (Worker `env` or `process.env`).
 * Throws a plain Error on a malformed limit: that is an operator mistake, not a request error.
 */
export function readServiceConfig(vars: Record<string, unknown>): ServiceConfig {
  const limit = (name: keyof ServiceLimits) =>
    positiveInteger(CONFIG_VARS[name], vars[CONFIG_VARS[name]], DEFAULT_LIMITS[name]);
  return {
    apiKeys: list(vars[CONFIG_VARS.apiKeys]),
    dev: flag(vars[CONFIG_VARS.dev]),
    corsOrigins: list(vars[CONFIG_VARS.corsOrigins]),
    limits: {
      maxBodyBytes: limit('maxBodyBytes'),
      maxImagePixels: limit('maxImagePixels'),
      maxRequestPixels: limit('maxRequestPixels'),
      maxLabels: limit('maxLabels'),
      maxImages: limit('maxImages'),
      maxTexts: limit('maxTexts'),
      maxPendingRequests: limit('maxPendingRequests'),
      inferenceConcurrency: limit('inferenceConcurrency'),
    },
    batchWindowMs: integerAtLeast(
      0,
      CONFIG_VARS.batchWindowMs,
      vars[CONFIG_VARS.batchWindowMs],
      DEFAULT_BATCH_WINDOW_MS,
    ),
  };
}
