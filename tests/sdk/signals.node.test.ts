/**
 * anySignal (sdk/signals.ts) where the runtime lacks AbortSignal.any, as Vercel's Edge runtime
 * does (the real runtime runs in tests/package/runtimes.node.test.ts): the composed signal aborts
 * with the reason of the first signal that aborts, at once when one already has.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anySignal } from '../../sdk/signals.js';

describe('anySignal without AbortSignal.any', () => {
  const any = AbortSignal.any;
  beforeEach(() => {
    (AbortSignal as { any?: unknown }).any = undefined;
  });
  afterEach(() => {
    AbortSignal.any = any;
  });

  it('aborts with the reason of the first signal that aborts', () => {
    const [a, b] = [new AbortController(), new AbortController()];
    const signal = anySignal([a.signal, b.signal]);
    expect(signal.aborted).toBe(false);
    b.abort('deadline');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('deadline');
    a.abort('later');
    expect(signal.reason).toBe('deadline');
  });

  it('is aborted at once when a signal already is', () => {
    const signal = anySignal([new AbortController().signal, AbortSignal.abort('gone')]);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('gone');
  });
});
