/**
 * Offline generation of FuDD pair descriptions: the production path pays for each pair once,
 * ahead of time, so that requests only read the cache. Reusable by a CLI (progress callback)
 * and by a worker (signal).
 */

import { type DescryError, InvalidInputError } from '../errors.js';
import { settleAll } from './bounded-pool.js';
import { canonicalPairs, type PairFailure } from './describe-pairs.js';
import type { PairDescriptionCache } from './description-cache.js';
import type { DescriptionSource } from './description-source.js';

/** Progress after each pair. */
export interface PrecomputeProgress {
  done: number;
  total: number;
  /** Canonical order. */
  pair: [string, string];
  status: 'cached' | 'generated' | 'failed';
  error?: DescryError;
}

/** Options of {@link precomputePairs}. */
export interface PrecomputeOptions {
  /** `all` (default): every unordered pair of `labels`; or an explicit list, e.g. confused pairs. */
  pairs?: 'all' | ReadonlyArray<readonly [string, string]>;
  /** Source calls in flight at once. Default 4. */
  concurrency?: number;
  /** Regenerate pairs already in the cache. Default false. */
  overwrite?: boolean;
  onProgress?: (progress: PrecomputeProgress) => void;
  signal?: AbortSignal;
}

/** Totals of a precompute run. */
export interface PrecomputeReport {
  total: number;
  generated: number;
  cached: number;
  failed: PairFailure[];
}

/** Every unordered pair of distinct labels: n·(n−1)/2 of them. */
export function allPairs(labels: readonly string[]): Array<[string, string]> {
  const unique = [...new Set(labels)];
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < unique.length; i++) {
    for (let j = i + 1; j < unique.length; j++) pairs.push([unique[i]!, unique[j]!]);
  }
  return pairs;
}

/**
 * Fills `cache` with descriptions of the chosen pairs among `labels`, skipping cached pairs
 * unless `overwrite`. Failed pairs are reported, not thrown; run again to retry them.
 * Explicit pairs must use labels from `labels` (`invalid_input` otherwise).
 */
export async function precomputePairs(
  source: DescriptionSource,
  cache: PairDescriptionCache,
  labels: readonly string[],
  options: PrecomputeOptions = {},
): Promise<PrecomputeReport> {
  const known = new Set(labels);
  const requested = options.pairs === undefined || options.pairs === 'all' ? allPairs(labels) : options.pairs;
  for (const [a, b] of requested) {
    if (!known.has(a) || !known.has(b)) {
      throw new InvalidInputError(
        'invalid_input',
        `Pair "${a}" vs "${b}" uses a label that is not in the label set`,
      );
    }
  }
  const { unique, invalid } = canonicalPairs(requested);
  const total = unique.length;
  const report: PrecomputeReport = { total, generated: 0, cached: 0, failed: [...invalid] };
  let done = 0;

  await settleAll(
    unique,
    async ([a, b], signal): Promise<'cached' | 'generated'> => {
      if (!options.overwrite && (await cache.get(a, b)) !== null) return 'cached';
      await cache.put(await source.pairDescriptions(a, b, { signal }));
      return 'generated';
    },
    {
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onSettled: (index, outcome) => {
        const pair = unique[index]!;
        done += 1;
        if (outcome.ok) {
          const status = outcome.value as 'cached' | 'generated';
          report[status] += 1;
          options.onProgress?.({ done, total, pair, status });
        } else {
          report.failed.push({ pair, error: outcome.error });
          options.onProgress?.({ done, total, pair, status: 'failed', error: outcome.error });
        }
      },
    },
  );
  return report;
}
