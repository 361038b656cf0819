/**
 * Subclasses for a whole label set (method 'subclasses', CHiLS) from a description source, cached
 * per label like descriptors (description-cache.ts `SubclassCache`), and made into a map that
 * compiling accepts: CHiLS needs every subclass to map back to one label, and an LLM asked about
 * each label alone may name one kind under two labels ("kitten" under "cat" and "pet") or name
 * another label. Such a name tells the labels apart no better than their own prompts, so it is
 * dropped from every label that got it, and reported; a label left without subclasses is left out
 * of the map and scored by its own prompts.
 */
import type { DescryError } from '../errors.js';
import { InvalidInputError } from '../errors.js';
import type { SubclassMap } from '../predictors/subclasses.js';
import { type DescribeClassesOptions, describeLabels } from './describe-classes.js';
import type { SubclassCache } from './description-cache.js';
import type { DescriptionSource } from './description-source.js';

/** Options of {@link describeSubclasses}. */
export interface DescribeSubclassesOptions extends Omit<DescribeClassesOptions, 'cache'> {
  /** Read first and written after each answer (a {@link SubclassCache}). */
  cache?: Pick<SubclassCache, 'get' | 'put'>;
}

/** What {@link describeSubclasses} obtained. */
export interface DescribedSubclasses {
  /** Subclasses per label, ready to compile: labels without any are left out. */
  subclasses: SubclassMap;
  /** Names dropped because several labels got them, or they are one of the labels (compared case-insensitively). */
  dropped: Array<{ subclass: string; labels: string[] }>;
  /** Labels the source could not answer for, and why. */
  failed: Array<{ label: string; error: DescryError }>;
  /** How many labels were served from the cache. */
  fromCache: number;
  /** Cache reads and writes that failed; the source was asked instead. */
  cacheErrors: DescryError[];
}

/**
 * Gets subclasses for every distinct label; never rejects for a single label's failure.
 *
 * @throws InvalidInputError when `source` cannot generate subclasses (it has no `subclasses`).
 */
export async function describeSubclasses(
  source: DescriptionSource,
  labels: Iterable<string>,
  options: DescribeSubclassesOptions = {},
): Promise<DescribedSubclasses> {
  const ask = source.subclasses?.bind(source);
  if (!ask) {
    throw new InvalidInputError(
      'invalid_input',
      `the description source ${source.id} cannot generate subclasses`,
    );
  }
  const unique = [...new Set(labels)];
  const { lists, ...rest } = await describeLabels(unique, ask, options);
  // Who claims each name (lowercased): the label of that name, and every label listing it.
  const owners = new Map<string, Set<string>>();
  for (const label of unique) owners.set(label.trim().toLowerCase(), new Set([label]));
  for (const [label, list] of Object.entries(lists)) {
    for (const name of list) {
      const key = name.trim().toLowerCase();
      const owner = owners.get(key) ?? new Set<string>();
      owner.add(label);
      owners.set(key, owner);
    }
  }
  const dropped = new Map<string, { subclass: string; labels: string[] }>();
  const subclasses: Record<string, string[]> = {};
  for (const [label, list] of Object.entries(lists)) {
    const kept: string[] = [];
    for (const name of list) {
      const key = name.trim().toLowerCase();
      // Claimed by another label: listed under it too, or its name.
      if ([...owners.get(key)!].some((other) => other !== label)) {
        const entry = dropped.get(key) ?? { subclass: name.trim(), labels: [] };
        if (!entry.labels.includes(label)) entry.labels.push(label);
        dropped.set(key, entry);
        continue;
      }
      if (!kept.some((k) => k.toLowerCase() === key)) kept.push(name.trim());
    }
    if (kept.length > 0)
      Object.defineProperty(subclasses, label, { value: kept, enumerable: true, writable: true });
  }
  return { subclasses, dropped: [...dropped.values()], ...rest };
}
