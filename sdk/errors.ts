/**
 * Typed errors. Every failure that a caller can cause or meet carries a stable `code`
 * so that the HTTP layer can map it to a problem+json status without string matching.
 */

/** Stable machine-readable error codes. Never rename one: clients match on them. */
export type DescryErrorCode =
  | 'image_empty'
  | 'image_unsupported_format'
  | 'image_corrupt'
  | 'image_too_large'
  | 'image_fetch_failed'
  | 'invalid_input'
  | 'labels_empty'
  | 'labels_too_many'
  | 'calibration_too_small'
  | 'model_load_failed'
  | 'model_config_invalid'
  | 'model_mismatch'
  /** The model would need more memory than the host allows (`LoadOptions.memoryBudget`). */
  | 'model_too_large'
  | 'classifier_format_invalid'
  | 'tokenizer_failed'
  | 'backend_failed'
  | 'llm_failed'
  | 'llm_timeout'
  | 'llm_output_invalid'
  | 'store_failed'
  | 'store_conflict'
  | 'dependency_missing'
  | 'not_found';

/** Base class of every error Descry throws on purpose. */
export class DescryError extends Error {
  /** Stable machine-readable code. */
  readonly code: DescryErrorCode;
  /** Structured details safe to show to the caller (no secrets). */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: DescryErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
  }
}

/** The bytes are not a decodable image: empty, truncated, corrupt, unsupported or too large. */
export class ImageDecodeError extends DescryError {}

/** Caller input that fails validation (labels, options, tensors of the wrong shape). */
export class InvalidInputError extends DescryError {}

/** Model files missing, unreadable or inconsistent. */
export class ModelLoadError extends DescryError {}

/** A compiled classifier or cache built for another model, or a corrupt classifier file. */
export class ModelMismatchError extends DescryError {}

/** An ONNX Runtime backend failed to initialise or run. */
export class BackendError extends DescryError {}

/** An LLM provider failed, timed out or answered something unusable. */
export class LlmError extends DescryError {}

/**
 * A cache store failed to read or write (`store_failed`), or a conditional write lost a race
 * because the entry changed since it was read (`store_conflict`: re-read and retry).
 */
export class StoreError extends DescryError {}

/**
 * A feature needs a package that is an optional peer dependency of descry and is not installed
 * (`dependency_missing`): `details.packages` lists them, `details.install` is the command.
 */
export class DependencyMissingError extends DescryError {}

/** True when `error` is one of Descry's typed errors. */
export function isDescryError(error: unknown): error is DescryError {
  return error instanceof DescryError;
}
