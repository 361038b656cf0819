/** The workload every contender runs: labels, template, batch sizes, and how long to time. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from './assets.js';

/** transformers.js's default hypothesis template, used by every contender. */
export const TEMPLATE = 'This is a photo of {}';

export const LABEL_COUNTS = [100, 1000] as const;
export const BATCHES = [1, 8] as const;

/** The first `count` emoji names (English, 2 to 13 words; 1906 available). */
export function labels(count: number): string[] {
  const classes = JSON.parse(
    readFileSync(join(paths.root, 'tests', 'fixtures', 'emoji-classes.json'), 'utf8'),
  ) as Array<{ name: string }>;
  return classes.slice(0, count).map((c) => c.name);
}

/**
 * Per-measurement budget: after `warmup` calls, at least `samples` timed calls and `ms` of timing;
 * on a machine so busy that this takes longer than `maxMs`, 3 samples are enough.
 */
export interface Budget {
  warmup: number;
  samples: number;
  ms: number;
  maxMs: number;
}

export const budgets = {
  /** onnxruntime-node: tens of milliseconds per image. */
  node: { warmup: 2, samples: 15, ms: 1500, maxMs: 8000 },
  /** onnxruntime-web: hundreds of milliseconds per image. */
  web: { warmup: 1, samples: 5, ms: 2500, maxMs: 15000 },
  /** Calls that take seconds (transformers.js with 1000 labels, compiling). */
  slow: { warmup: 0, samples: 2, ms: 0, maxMs: 0 },
} satisfies Record<string, Budget>;

/** Prefix of the line on which a child process reports its measurements as JSON. */
export const RESULT_MARKER = 'BENCH_REAL_RESULT ';

/** One figure a block measured: milliseconds (per image where the metric says so). */
export interface Measurement {
  /** transformers.js = @xenova/transformers 2.17; transformers.js-4 = @huggingface/transformers 4.x. */
  contender: 'raw' | 'descry' | 'transformers.js' | 'transformers.js-4';
  backend: 'node' | 'web';
  metric: string;
  ms: number;
}

/** The median of timed calls of `fn`, within `budget`. Each call's time is divided by `per`. */
export async function time(fn: () => Promise<unknown>, budget: Budget, per = 1): Promise<number> {
  for (let i = 0; i < budget.warmup; i++) await fn();
  const samples: number[] = [];
  const started = performance.now();
  for (;;) {
    const t = performance.now();
    await fn();
    samples.push((performance.now() - t) / per);
    const elapsed = performance.now() - started;
    if (samples.length >= budget.samples && elapsed >= budget.ms) break;
    if (samples.length >= Math.min(3, budget.samples) && elapsed >= budget.maxMs) break;
    if (samples.length >= budget.samples * 4) break;
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}
