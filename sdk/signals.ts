/**
 * A signal that aborts when any of several does: `AbortSignal.any` where the runtime has it, and
 * the same composed by hand where it does not. Vercel's Edge runtime (the `edge-runtime` package,
 * tests/package/runtimes.node.test.ts) has `AbortSignal.timeout` but not `AbortSignal.any`, and the
 * service combines every request's signal with its deadline.
 */
export function anySignal(signals: readonly AbortSignal[]): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([...signals]);
  const controller = new AbortController();
  const aborted = signals.find((signal) => signal.aborted);
  if (aborted) {
    controller.abort(aborted.reason);
    return controller.signal;
  }
  const onAbort = (event: Event) => {
    for (const signal of signals) signal.removeEventListener('abort', onAbort);
    controller.abort((event.target as AbortSignal).reason);
  };
  for (const signal of signals) signal.addEventListener('abort', onAbort);
  return controller.signal;
}
