/**
 * Maps whatever an LLM call threw (AI SDK errors, aborts, network errors) to a typed LlmError.
 * The AI SDK's error classes come from the loaded `ai` module (an optional peer, loaded by the
 * source on its first call: ./ai-sdk.ts), passed in rather than imported here.
 */

import type * as Ai from 'ai';
import { type DependencyMissingError, isDescryError, LlmError } from '../errors.js';

/** The error classes of the `ai` package this module tells apart. */
export type AiErrors = Pick<
  typeof Ai,
  'APICallError' | 'NoContentGeneratedError' | 'NoObjectGeneratedError' | 'RetryError' | 'TypeValidationError'
>;

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

function apiCallErrorOf(error: unknown, ai: AiErrors | undefined): Ai.APICallError | undefined {
  if (ai === undefined) return undefined;
  const { APICallError, RetryError } = ai;
  if (APICallError.isInstance(error)) return error;
  if (RetryError.isInstance(error) && APICallError.isInstance(error.lastError)) return error.lastError;
  return undefined;
}

/**
 * The HTTP status of a failed provider call, when there was one: from an `LlmError`'s details, or
 * from an AI SDK error when its classes (`ai`) are given.
 */
export function statusOf(error: unknown, ai?: AiErrors): number | undefined {
  if (error instanceof LlmError && typeof error.details?.status === 'number') return error.details.status;
  return apiCallErrorOf(error, ai)?.statusCode;
}

/**
 * Converts `error` into an `LlmError` with code `llm_timeout`, `llm_failed` or `llm_output_invalid`
 * (a `DescryError` keeps its code, a missing peer its class). `ai` is undefined when the call
 * failed before `ai` loaded.
 */
export function toLlmError(
  error: unknown,
  context: CallContext,
  ai?: AiErrors,
): LlmError | DependencyMissingError {
  if (error instanceof LlmError) return error;
  // Not the LLM's failure but the installation's: said as it is (see ../optional-peer.ts).
  if (isDescryError(error) && error.code === 'dependency_missing') return error;
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
  const apiError = apiCallErrorOf(error, ai);
  if (apiError !== undefined) {
    const status = apiError.statusCode;
    return new LlmError(
      'llm_failed',
      `LLM endpoint answered ${status ?? 'without a status'} for ${context.task}: ${apiError.message}`,
      { cause: error, details: { status, retryable: apiError.isRetryable } },
    );
  }
  if (
    ai !== undefined &&
    (ai.NoObjectGeneratedError.isInstance(error) ||
      ai.NoContentGeneratedError.isInstance(error) ||
      ai.TypeValidationError.isInstance(error))
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
