/**
 * What every fuzzer here records and reports the same way: outcome counts per group, the time of
 * each case, and memory once everything collectable is collected (V8's gc, exposed at run time).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap, external and array-buffer bytes after two full collections. */
export function settledMemory(): number {
  gc();
  gc();
  const { heapUsed, external, arrayBuffers } = process.memoryUsage();
  return heapUsed + external + arrayBuffers;
}

/** The group whose cases warm a fuzzer up: counted, never reported. */
export const WARM_UP = 'warm-up';

/** Outcome counts per group and case durations of one fuzz run. */
export class FuzzTally {
  /** Group → outcome → count. */
  readonly outcomes = new Map<string, Map<string, number>>();
  readonly durations: number[] = [];

  count(group: string, outcome: string): void {
    const byOutcome = this.outcomes.get(group) ?? new Map<string, number>();
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
    this.outcomes.set(group, byOutcome);
  }

  /** Summary lines: how many cases (`unit`), the seed, slowest and p99 time, outcomes per group. */
  report(unit: string, seed: number): string[] {
    const groups = [...this.outcomes.entries()].filter(([group]) => group !== WARM_UP);
    const total = groups.reduce(
      (n, [, byOutcome]) => n + [...byOutcome.values()].reduce((a, b) => a + b, 0),
      0,
    );
    const sorted = [...this.durations].sort((a, b) => a - b);
    const p99 = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
    return [
      `fuzz: ${total} ${unit}, seed ${seed}, slowest ${sorted.at(-1)?.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`,
      ...groups.map(([group, byOutcome]) => {
        const frequent = [...byOutcome.entries()].sort((a, b) => b[1] - a[1]);
        return `  ${group}: ${frequent.map(([outcome, n]) => `${outcome} ×${n}`).join(', ')}`;
      }),
    ];
  }

  /** The memory line, after {@link settledMemory}. */
  static memoryLine(baseline: number, after: number, slack: number): string {
    const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    return `fuzz memory: ${mb(baseline)} MiB after warm-up, ${mb(after)} MiB after the run (heap + external + array buffers; limit +${mb(slack)} MiB)`;
  }
}
