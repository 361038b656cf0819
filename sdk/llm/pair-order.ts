/**
 * The canonical orientation of a class pair. Pair descriptions are cached once per unordered
 * pair, so both the key and the order of `prompt_pair` must not depend on the order asked in.
 * The definitions are FuDD's own (sdk/predictors/fudd.ts), so that what the cache stores is
 * exactly what the predictor looks up.
 */

import type { PairDescription } from './description-source.js';

export { orderedPair, pairKey } from '../predictors/fudd.js';

/** The sentences for `label` in a pair description, one per attribute; `[]` if not in the pair. */
export function sideOf(description: PairDescription, label: string): string[] {
  const index = description.classes.indexOf(label);
  if (index < 0) return [];
  return description.attributes.map((attribute) => attribute.prompt_pair[index as 0 | 1]);
}
