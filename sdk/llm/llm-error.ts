/** Maps whatever an LLM call threw (AI SDK errors, aborts, network errors) to a typed LlmError. */

import {
  APICallError,
  NoContentGeneratedError,
  NoObjectGeneratedError,
  RetryError,
  TypeValidationError,
} from 'ai';
import { isDescryError, LlmError } from '../errors.js';

/** What the caller knows about why the call may have stopped. */
export interface CallContext {
  /** What was being asked, for the message (e.g. `descriptors of "pug"`). */
  task: string;
  /** The call's own time limit passed. */
  timedOut: boolean;
  /** The caller's signal (e.g. a batch deadline) aborted the call. */
  cancelled: boolean;
  timeoutMs: number;
}

function apiCallErrorOf(error: unknown): APICallError | undefined {
  if (APICallError.isInstance(error)) return error;
  if (RetryError.isInstance(error) && APICallError.isInstance(error.lastError)) return error.lastError;
  return undefined;
}

/** The HTTP status of a failed provider call, when there was one. */
export function statusOf(error: unknown): number | undefined {
  if (error instanceof LlmError && typeof error.details?.status === 'number') return error.details.status;
  return apiCallErrorOf(error)?.statusCode;
}

/** Converts `error` into an `LlmError` with code `llm_timeout`, `llm_failed` or `llm_output_invalid`. */
export function toLlmError(error: unknown, context: CallContext): LlmError {
  if (error instanceof LlmError) return error;
  if (isDescryError(error)) return new LlmError(error.code, error.message, { cause: error });
  if (context.timedOut) {
    return new LlmError('llm_timeout', `LLM call for ${context.task} exceeded ${context.timeoutMs} ms`, {
      cause: error,
      details: { timeoutMs: context.timeoutMs },
    });
  }
  if (context.cancelled) {
    return new LlmError('llm_timeout', `LLM call for ${context.task} was cancelled by its deadline`, {
      cause: error,
    });
  }
  const apiError = apiCallErrorOf(error);
  if (apiError !== undefined) {
    const status = apiError.statusCode;
    return new LlmError(
      'llm_failed',
      `LLM endpoint answered ${status ?? 'without a status'} for ${context.task}: ${apiError.message}`,
      { cause: error, details: { status, retryable: apiError.isRetryable } },
    );
  }
  if (
    NoObjectGeneratedError.isInstance(error) ||
    NoContentGeneratedError.isInstance(error) ||
    TypeValidationError.isInstance(error)
  ) {
    return new LlmError(
      'llm_output_invalid',
      `LLM answer for ${context.task} is unusable: ${error.message}`,
      {
        cause: error,
      },
    );
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new LlmError('llm_failed', `LLM call for ${context.task} failed: ${reason}`, { cause: error });
}
