/**
 * Describing many class pairs at once for FuDD, from cache first, within a deadline. The caller
 * (FuDD at request time) gets every description that arrived in time plus the pairs that did
 * not, and falls back for those ("a photo of a {class}.") instead of failing the request.
 */

import { type DescryError, InvalidInputError } from '../errors.js';
import { settleAll } from './bounded-pool.js';
import { cacheFailure, type PairDescriptionCache } from './description-cache.js';
import type { DescriptionSource, PairDescription } from './description-source.js';
import { orderedPair, pairKey } from './pair-order.js';

/** A pair that got no description, and why. */
export interface PairFailure {
  /** Canonical order. */
  pair: [string, string];
  error: DescryError;
}

/** What {@link describePairs} obtained. */
export interface DescribedPairs {
  /** Descriptions obtained, in the order the pairs were first given (canonical orientation). */
  descriptions: PairDescription[];
  /** Pairs without a description: generation failed, timed out or was cut by the deadline. */
  failed: PairFailure[];
  /** How many descriptions came from the cache rather than the source. */
  fromCache: number;
  /** Cache reads and writes that failed; the source was asked instead, and its answers are returned. */
  cacheErrors: DescryError[];
}

/** Options of {@link describePairs}. */
export interface DescribePairsOptions {
  /** Cache read before asking the source and written with what the source answers. */
  cache?: PairDescriptionCache;
  /** Overall time budget; the call returns by then with whatever it has. Default: none. */
  deadlineMs?: number;
  /** Source calls in flight at once. Default 4. */
  concurrency?: number;
  /** Caller's cancellation; behaves like the deadline passing. */
  signal?: AbortSignal;
}

/** Unique canonical pairs; a pair of one label with itself is rejected as `invalid_input`. */
export function canonicalPairs(pairs: Iterable<readonly [string, string]>): {
  unique: Array<[string, string]>;
  invalid: PairFailure[];
} {
  const seen = new Set<string>();
  const unique: Array<[string, string]> = [];
  const invalid: PairFailure[] = [];
  for (const [a, b] of pairs) {
    if (a === b) {
      invalid.push({
        pair: [a, b],
        error: new InvalidInputError('invalid_input', `A pair needs two different labels, got "${a}" twice`),
      });
      continue;
    }
    const key = pairKey(a, b);
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(orderedPair(a, b));
  }
  return { unique, invalid };
}

/**
 * Describes every pair (order within a pair and duplicates do not matter): from `cache` when
 * present, otherwise from `source`, writing new answers back to the cache. Never rejects for a
 * single pair's failure and never runs past `deadlineMs`.
 */
export async function describePairs(
  source: DescriptionSource,
  pairs: Iterable<readonly [string, string]>,
  options: DescribePairsOptions = {},
): Promise<DescribedPairs> {
  const { unique, invalid } = canonicalPairs(pairs);
  const cache = options.cache;
  const cacheErrors: DescryError[] = [];
  let fromCache = 0;

  const outcomes = await settleAll(
    unique,
    async ([a, b], signal) => {
      // A cache that cannot be read is no reason to fail: the source can still answer.
      const cached = await cache?.get(a, b).catch((error: unknown) => {
        cacheErrors.push(cacheFailure(error));
        return null;
      });
      if (cached) {
        fromCache += 1;
        return cached;
      }
      const description = await source.pairDescriptions(a, b, { signal });
      if (cache) {
        await cache.put(description).catch((error: unknown) => {
          cacheErrors.push(cacheFailure(error));
        });
      }
      return description;
    },
    {
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    },
  );

  const descriptions: PairDescription[] = [];
  const failed: PairFailure[] = [...invalid];
  outcomes.forEach((outcome, index) => {
    if (outcome.ok) descriptions.push(outcome.value);
    else failed.push({ pair: unique[index]!, error: outcome.error });
  });
  return { descriptions, failed, fromCache, cacheErrors };
}
