/**
 * `descry/models/emoji-clip` in Node: the embedded model, read from the package's
 * models/emoji-clip folder (shipped in the npm tarball next to dist/).
 *
 * ```ts
 * import { Descry } from 'descry';
 * import emojiClip from 'descry/models/emoji-clip';
 * const descry = await Descry.load(emojiClip);
 * ```
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import hierarchy from '../../../models/emoji-clip/subclasses.json' with { type: 'json' };
import { folderSource } from '../../engine/folder-source.node.js';
import type { ModelFiles } from '../../engine/source.js';
import { EMOJI_CLIP_ID } from './id.js';
import { type EmojiSubclasses, emojiSubclassesOf } from './subclasses.js';

export { EMOJI_CLIP_ID } from './id.js';

/**
 * The model's folder on disk, in the Hugging Face / transformers.js layout: for tools that take a
 * path (`descry classify --model`, transformers.js's `env.localModelPath`).
 */
// Three levels up from both sdk/embedded/emoji-clip/ and dist/embedded/emoji-clip/: the package root.
export const emojiClipPath: string = fileURLToPath(new URL('../../../models/emoji-clip', import.meta.url));

/** The embedded model as a `Descry.load` source: its folder, reported as `emoji-clip`. */
export const emojiClip: ModelFiles = { ...folderSource(emojiClipPath), id: EMOJI_CLIP_ID };

export default emojiClip;

export type { EmojiSubclasses };
/** The embedded model's label hierarchy, for method 'subclasses' (see ./subclasses.ts). */
export const emojiSubclasses: EmojiSubclasses = emojiSubclassesOf(hierarchy);
