/** Bounding async work in time, even when the work ignores its abort signal. */

import { anySignal } from '../signals.js';

/** A signal that aborts after `timeoutMs` or when `parent` aborts, whichever comes first. */
export function limitSignal(
  timeoutMs: number,
  parent?: AbortSignal,
): { signal: AbortSignal; timeout: AbortSignal } {
  const timeout = AbortSignal.timeout(timeoutMs);
  return { signal: parent === undefined ? timeout : anySignal([timeout, parent]), timeout };
}

/**
 * Settles like `work`, but rejects with the signal's reason as soon as `signal` aborts: a
 * provider that does not honour abort signals can then no longer hang its caller.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
