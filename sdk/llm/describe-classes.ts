/**
 * Descriptors for a whole label set (classification by description), from cache first, with
 * limited concurrency and an optional deadline. Labels without descriptors are reported so
 * that the caller can fall back to the class-name prompt for them.
 */

import type { DescryError } from '../errors.js';
import type { DescriptorMap } from '../types.js';
import { settleAll } from './bounded-pool.js';
import { cacheFailure, type DescriptorCache } from './description-cache.js';
import type { DescriptionSource } from './description-source.js';

/** What {@link describeClasses} obtained. */
export interface DescribedClasses {
  /** Descriptors per label that got some. */
  descriptors: DescriptorMap;
  /** Labels without descriptors, and why. */
  failed: Array<{ label: string; error: DescryError }>;
  /** How many labels were served from the cache. */
  fromCache: number;
  /** Cache reads and writes that failed; the source was asked instead, and its answers are returned. */
  cacheErrors: DescryError[];
}

/** Options of {@link describeClasses}. */
export interface DescribeClassesOptions {
  cache?: DescriptorCache;
  /** What kind of things the labels are (e.g. "dog breed"). */
  context?: string;
  deadlineMs?: number;
  /** Default 4. */
  concurrency?: number;
  signal?: AbortSignal;
}

/** Gets descriptors for every distinct label; never rejects for a single label's failure. */
export async function describeClasses(
  source: DescriptionSource,
  labels: Iterable<string>,
  options: DescribeClassesOptions = {},
): Promise<DescribedClasses> {
  const unique = [...new Set(labels)];
  const { cache, context } = options;
  const cacheErrors: DescryError[] = [];
  let fromCache = 0;
  const outcomes = await settleAll(
    unique,
    async (label, signal) => {
      // A cache that cannot be read is no reason to fail: the source can still answer.
      const cached = await cache?.get(label, context).catch((error: unknown) => {
        cacheErrors.push(cacheFailure(error));
        return null;
      });
      if (cached) {
        fromCache += 1;
        return cached;
      }
      const descriptors = await source.descriptors(label, {
        signal,
        ...(context === undefined ? {} : { context }),
      });
      if (cache) {
        await cache.put(label, descriptors, context).catch((error: unknown) => {
          cacheErrors.push(cacheFailure(error));
        });
      }
      return descriptors;
    },
    {
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    },
  );
  const descriptors: DescriptorMap = {};
  const failed: DescribedClasses['failed'] = [];
  outcomes.forEach((outcome, index) => {
    const label = unique[index]!;
    if (outcome.ok) descriptors[label] = outcome.value;
    else failed.push({ label, error: outcome.error });
  });
  return { descriptors, failed, fromCache, cacheErrors };
}
