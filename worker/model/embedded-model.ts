/**
 * The emoji-clip model bundled into the Worker: ONNX graphs as Data modules (see the `rules` in
 * wrangler.toml) and JSON files as ordinary imports, keyed by their Hugging Face layout paths.
 */
import config from '../../models/emoji-clip/config.json' with { type: 'json' };
import textModel from '../../models/emoji-clip/onnx/text_model.onnx';
import visionModel from '../../models/emoji-clip/onnx/vision_model.onnx';
import preprocessorConfig from '../../models/emoji-clip/preprocessor_config.json' with { type: 'json' };
import tokenizer from '../../models/emoji-clip/tokenizer.json' with { type: 'json' };
import tokenizerConfig from '../../models/emoji-clip/tokenizer_config.json' with { type: 'json' };

/** Model id reported by the service for the embedded model. */
export const EMBEDDED_MODEL_ID = 'emoji-clip';

/** The embedded model as a `Descry.load` source. */
export const embeddedModel = {
  id: EMBEDDED_MODEL_ID,
  files: {
    'config.json': config,
    'preprocessor_config.json': preprocessorConfig,
    'tokenizer.json': tokenizer,
    'tokenizer_config.json': tokenizerConfig,
    'onnx/text_model.onnx': textModel,
    'onnx/vision_model.onnx': visionModel,
  },
};
