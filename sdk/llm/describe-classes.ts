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
  const { lists, ...rest } = await describeLabels(
    labels,
    (label, call) => source.descriptors(label, call),
    options,
  );
  return { descriptors: lists, ...rest };
}

/** What {@link describeLabels} obtained: a list per label that got one. */
export interface DescribedLabels extends Omit<DescribedClasses, 'descriptors'> {
  lists: Record<string, string[]>;
}

/**
 * A list of strings per distinct label (descriptors, subclasses) from `cache` first, else from
 * `ask`, stored back in the cache; with limited concurrency and an optional deadline. Never
 * rejects for a single label's failure.
 */
export async function describeLabels(
  labels: Iterable<string>,
  ask: (label: string, call: { signal: AbortSignal; context?: string }) => Promise<string[]>,
  options: Omit<DescribeClassesOptions, 'cache'> & {
    cache?: { get: DescriptorCache['get']; put: DescriptorCache['put'] };
  },
): Promise<DescribedLabels> {
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
      const list = await ask(label, { signal, ...(context === undefined ? {} : { context }) });
      if (cache) {
        await cache.put(label, list, context).catch((error: unknown) => {
          cacheErrors.push(cacheFailure(error));
        });
      }
      return list;
    },
    {
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    },
  );
  const lists: Record<string, string[]> = {};
  const failed: DescribedClasses['failed'] = [];
  outcomes.forEach((outcome, index) => {
    const label = unique[index]!;
    // defineProperty: a label may be "__proto__", which plain assignment would not store.
    if (outcome.ok)
      Object.defineProperty(lists, label, { value: outcome.value, enumerable: true, writable: true });
    else failed.push({ label, error: outcome.error });
  });
  return { lists, failed, fromCache, cacheErrors };
}
