/**
 * `descry/models/emoji-clip` on Cloudflare Workers: the embedded model bundled into the Worker.
 * JSON files are ordinary imports; the two ONNX graphs are Data modules (their bytes), which
 * wrangler makes of `.onnx` files given this rule in the Worker's wrangler.toml:
 *
 * ```toml
 * [[rules]]
 * type = "Data"
 * globs = ["**\/*.onnx"]
 * ```
 *
 * @module
 */
import config from '../../../models/emoji-clip/config.json' with { type: 'json' };
import textModel from '../../../models/emoji-clip/onnx/text_model.onnx';
import visionModel from '../../../models/emoji-clip/onnx/vision_model.onnx';
import preprocessorConfig from '../../../models/emoji-clip/preprocessor_config.json' with { type: 'json' };
import hierarchy from '../../../models/emoji-clip/subclasses.json' with { type: 'json' };
import tokenizer from '../../../models/emoji-clip/tokenizer.json' with { type: 'json' };
import tokenizerConfig from '../../../models/emoji-clip/tokenizer_config.json' with { type: 'json' };
import type { ModelFileMap } from '../../engine/source.js';
import { EMOJI_CLIP_ID } from './id.js';
import { type EmojiSubclasses, emojiSubclassesOf } from './subclasses.js';

export { EMOJI_CLIP_ID } from './id.js';

/** The embedded model as a `Descry.load` source: its files in memory, keyed by their layout paths. */
export const emojiClip: { id: string; files: ModelFileMap } = {
  id: EMOJI_CLIP_ID,
  files: {
    'config.json': config,
    'preprocessor_config.json': preprocessorConfig,
    'tokenizer.json': tokenizer,
    'tokenizer_config.json': tokenizerConfig,
    'onnx/text_model.onnx': textModel,
    'onnx/vision_model.onnx': visionModel,
  },
};

export default emojiClip;

export type { EmojiSubclasses };
/** The embedded model's label hierarchy, for method 'subclasses' (see ./subclasses.ts). */
export const emojiSubclasses: EmojiSubclasses = emojiSubclassesOf(hierarchy);
