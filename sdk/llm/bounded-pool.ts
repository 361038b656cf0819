/**
 * Runs independent async jobs with limited concurrency under an optional deadline, settling each
 * one: the batch never rejects and never outlives its deadline, even if a job ignores its signal.
 */

import { type DescryError, isDescryError, LlmError } from '../errors.js';
import { anySignal } from '../signals.js';
import { untilAborted } from './time-limit.js';

/** The outcome of one job. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: DescryError };

/** Options of {@link settleAll}. */
export interface PoolOptions {
  /** Jobs running at once. Default 4. */
  concurrency?: number;
  /** Stop starting jobs, and abandon running ones, after this many milliseconds. */
  deadlineMs?: number;
  /** Caller's cancellation. */
  signal?: AbortSignal;
  /** Called after each job settles, in completion order. */
  onSettled?: (index: number, outcome: Settled<unknown>) => void;
}

function asDescryError(error: unknown): DescryError {
  if (isDescryError(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new LlmError('llm_failed', reason, { cause: error });
}

/**
 * Runs `job(item, signal)` for every item, at most `concurrency` at a time, and resolves with one
 * outcome per item in input order. Jobs not finished when the deadline passes (or the caller's
 * signal aborts) settle as `llm_timeout`.
 */
export async function settleAll<I, T>(
  items: readonly I[],
  job: (item: I, signal: AbortSignal) => Promise<T>,
  options: PoolOptions = {},
): Promise<Array<Settled<T>>> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const signals: AbortSignal[] = [];
  if (options.deadlineMs !== undefined) signals.push(AbortSignal.timeout(Math.max(0, options.deadlineMs)));
  if (options.signal !== undefined) signals.push(options.signal);
  const signal = signals.length === 0 ? new AbortController().signal : anySignal(signals);

  const outcomes: Array<Settled<T> | undefined> = new Array(items.length);
  const expired = (): Settled<T> => ({
    ok: false,
    error: new LlmError('llm_timeout', 'The batch deadline passed before this item was described'),
  });
  const settle = (index: number, outcome: Settled<T>) => {
    if (outcomes[index] !== undefined) return;
    outcomes[index] = outcome;
    options.onSettled?.(index, outcome);
  };

  let next = 0;
  const lane = async () => {
    while (next < items.length && !signal.aborted) {
      const index = next++;
      try {
        settle(index, { ok: true, value: await untilAborted(job(items[index]!, signal), signal) });
      } catch (error) {
        settle(
          index,
          signal.aborted && !isDescryError(error) ? expired() : { ok: false, error: asDescryError(error) },
        );
      }
    }
  };
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, lane);
  await Promise.all(lanes);
  for (let index = 0; index < items.length; index++)
    if (outcomes[index] === undefined) settle(index, expired());
  return outcomes as Array<Settled<T>>;
}
