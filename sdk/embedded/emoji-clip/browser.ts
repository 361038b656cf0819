/**
 * `descry/models/emoji-clip` in browsers (and any runtime without a condition of its own): the
 * small JSON files are imports, bundled into the app; the two ONNX graphs are referenced as
 * `new URL('…onnx', import.meta.url)`, the pattern bundlers (Vite, webpack 5, Parcel) recognise and
 * emit as assets, and that points at the installed package's files when nothing bundles. The graphs
 * are fetched on first use and kept in the Cache API, so later visits load them offline.
 *
 * @module
 */
import config from '../../../models/emoji-clip/config.json' with { type: 'json' };
import preprocessorConfig from '../../../models/emoji-clip/preprocessor_config.json' with { type: 'json' };
import hierarchy from '../../../models/emoji-clip/subclasses.json' with { type: 'json' };
import tokenizer from '../../../models/emoji-clip/tokenizer.json' with { type: 'json' };
import tokenizerConfig from '../../../models/emoji-clip/tokenizer_config.json' with { type: 'json' };
import { bytesSource, cacheApiDownloadCache, type ModelFiles, urlSource } from '../../engine/source.js';
import { EMOJI_CLIP_ID } from './id.js';
import { type EmojiSubclasses, emojiSubclassesOf } from './subclasses.js';

export { EMOJI_CLIP_ID } from './id.js';

// Literal `new URL(…, import.meta.url)` expressions: bundlers only rewrite them written out like this.
const graphs: Record<string, URL> = {
  'onnx/text_model.onnx': new URL('../../../models/emoji-clip/onnx/text_model.onnx', import.meta.url),
  'onnx/vision_model.onnx': new URL('../../../models/emoji-clip/onnx/vision_model.onnx', import.meta.url),
};

const small = bytesSource(
  {
    'config.json': config,
    'preprocessor_config.json': preprocessorConfig,
    'tokenizer.json': tokenizer,
    'tokenizer_config.json': tokenizerConfig,
  },
  EMOJI_CLIP_ID,
);

const cache = cacheApiDownloadCache();
// urlSource resolves each path against its base; an absolute URL (a graph's) resolves to itself.
// The graphs belong to this package version (bundlers usually hash their names): never revalidated.
const downloads = urlSource(String(graphs['onnx/vision_model.onnx']), {
  revalidate: false,
  ...(cache ? { cache } : {}),
});

/** The embedded model as a `Descry.load` source. */
export const emojiClip: ModelFiles = {
  id: EMOJI_CLIP_ID,
  read(path) {
    const graph = graphs[path];
    return graph ? downloads.read(graph.href) : small.read(path);
  },
};

export default emojiClip;

export type { EmojiSubclasses };
/** The embedded model's label hierarchy, for method 'subclasses' (see ./subclasses.ts). */
export const emojiSubclasses: EmojiSubclasses = emojiSubclassesOf(hierarchy);
