/**
 * The embedded model's own label hierarchy, for method 'subclasses' (CHiLS) without an LLM:
 * models/emoji-clip/subclasses.json (36 KB, shipped in the package next to the model; written by
 * models/scripts/build-subclasses.mjs from emoji-datasource's names, MIT). Two maps, each subclass
 * under one label:
 *
 * - `subcategories`: 98 emoji subcategories ("food fruit") → their emoji names ("pineapple", …);
 * - `groups`: 9 emoji groups ("Food & Drink") → their subcategories.
 *
 * On held-out OpenMoji images, classifying into subcategories with `subcategories` as subclasses
 * scores 48.5% top-1 against 30.1% for the template ensemble (bench/results/methods-accuracy.md).
 *
 * ```ts
 * import emojiClip, { emojiSubclasses } from 'descry/models/emoji-clip';
 * const labels = ['food fruit', 'animal bird'];
 * const subclasses = Object.fromEntries(labels.map((l) => [l, emojiSubclasses.subcategories[l]!]));
 * await descry.classify(image, labels, { method: 'subclasses', subclasses });
 * ```
 */
import hierarchy from '../../../models/emoji-clip/subclasses.json' with { type: 'json' };
import type { SubclassMap } from '../../predictors/subclasses.js';

/** The emoji hierarchy as subclass maps (see the module comment). */
export interface EmojiSubclasses {
  /** Emoji subcategory → the names of its emoji. */
  subcategories: SubclassMap;
  /** Emoji group → its subcategories. */
  groups: SubclassMap;
}

/** The embedded model's label hierarchy. */
export const emojiSubclasses: EmojiSubclasses = {
  subcategories: hierarchy.subcategories,
  groups: hierarchy.groups,
};
