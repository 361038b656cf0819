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
import type { SubclassMap } from '../../predictors/subclasses.js';

/** The emoji hierarchy as subclass maps (see the module comment). */
export interface EmojiSubclasses {
  /** Emoji subcategory → the names of its emoji. */
  subcategories: SubclassMap;
  /** Emoji group → its subcategories. */
  groups: SubclassMap;
}

/**
 * The embedded model's label hierarchy from subclasses.json as imported. Each entry file (node.ts,
 * browser.ts, workerd.ts) imports the JSON itself: the build keeps that import's relative path as
 * written, which reaches models/emoji-clip only from a module as deep under dist/ as its source
 * under the root, as the entries are; a module shared by the entries lands in a chunk at dist/'s
 * top, from where the same path leads out of the package.
 */
export function emojiSubclassesOf(hierarchy: {
  subcategories: Record<string, string[]>;
  groups: Record<string, string[]>;
}): EmojiSubclasses {
  return { subcategories: hierarchy.subcategories, groups: hierarchy.groups };
}
