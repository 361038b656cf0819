/**
 * The canonical orientation of a class pair. Pair descriptions are cached once per unordered
 * pair, so both the key and the order of `prompt_pair` must not depend on the order asked in.
 */

import type { PairDescription } from './description-source.js';

/** `[a, b]` sorted by UTF-16 code units (the order of `[a, b].sort()`). */
export function orderPair(a: string, b: string): [string, string] {
  return a <= b ? [a, b] : [b, a];
}

/**
 * Order-independent key of a pair: `JSON.stringify([a, b].sort())`. JSON keeps labels that
 * contain separators or quotes unambiguous.
 */
export function pairKey(a: string, b: string): string {
  return JSON.stringify(orderPair(a, b));
}

/** The sentences for `label` in a pair description, one per attribute. */
export function sideOf(description: PairDescription, label: string): string[] {
  const index = description.classes.indexOf(label);
  if (index < 0) return [];
  return description.attributes.map((attribute) => attribute.prompt_pair[index as 0 | 1]);
}
