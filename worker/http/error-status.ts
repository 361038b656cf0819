/**
 * Which HTTP status each SDK error code means. Bad input is always 4xx; only failures of the
 * service or its dependencies are 5xx.
 */

import type { DescryErrorCode } from 'descry';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

// Total: a code added to the SDK fails to compile here until it is given a status.
const STATUS: Record<DescryErrorCode, ContentfulStatusCode> = {
  store_conflict: 409,
  image_empty: 422,
  image_unsupported_format: 415,
  image_corrupt: 422,
  image_too_large: 422,
  image_fetch_failed: 422,
  invalid_input: 422,
  labels_empty: 422,
  labels_too_many: 422,
  calibration_too_small: 422,
  model_mismatch: 409,
  classifier_format_invalid: 409,
  not_found: 404,
  llm_failed: 502,
  llm_output_invalid: 502,
  llm_timeout: 504,
  model_load_failed: 503,
  model_config_invalid: 503,
  model_too_large: 503,
  store_failed: 503,
  tokenizer_failed: 500,
  backend_failed: 500,
  // An optional peer the operator configured a feature for (e.g. DESCRY_LLM) and did not install.
  dependency_missing: 500,
};

/**
 * 5xx codes whose message and details the caller sees: they say what the deployment lacks (the
 * memory a model would need against what the isolate allows), not how it is built. Other 5xx
 * answers say only that the service could not complete the request; their reason is logged.
 */
export const OPEN_SERVER_ERRORS: ReadonlySet<string> = new Set(['model_too_large']);

/** HTTP status for an SDK error code. */
export function statusOfDescryError(code: DescryErrorCode): ContentfulStatusCode {
  return STATUS[code];
}
