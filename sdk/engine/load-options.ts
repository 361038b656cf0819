/**
 * What `Descry.load` accepts: where the model comes from and how to run it. These types live next
 * to the sources (not in descry.ts) so that the runtime defaults, which resolve sources, do not
 * import the class that uses them.
 */
import type { ImageBackground } from '../image/background.js';
import type { OnnxBackend } from './backend.js';
import type { MemoryBudget } from './memory-budget.js';
import type { BatchingOptions } from './run-batcher.js';
import type { DownloadProgress, ModelFileMap, ModelFiles } from './source.js';
import type { ModelDtype } from './towers.js';

/** Where a model comes from: a folder (Node), a URL, a hub id, or files in memory. */
export type ModelSource = string | URL | ModelFiles | { files: ModelFileMap; id?: string };

/** Options for `Descry.load`. */
export interface LoadOptions {
  /**
   * ONNX export to load for both encoders, by transformers.js's names and files (`q8` is
   * `onnx/*_quantized.onnx`; engine/onnx-files.ts). Default: the model's own
   * (`transformers.js_config.dtype` in config.json), else fp32.
   */
  dtype?: ModelDtype;
  /** ONNX export of the text encoder only; overrides `dtype`. */
  textDtype?: ModelDtype;
  /** ONNX export of the vision encoder only; overrides `dtype`. */
  visionDtype?: ModelDtype;
  /** Backend override; default chosen per runtime (onnxruntime-node if installed, else web). */
  backend?: OnnxBackend | (() => Promise<OnnxBackend>);
  /** Override of the trained logit scale. */
  logitScale?: number;
  /** Override of the logit bias (SigLIP). */
  logitBias?: number;
  /** Largest decoded image, in pixels (default 40 megapixels). */
  maxImagePixels?: number;
  /**
   * What transparent pixels become, for every image this instance sees unless a call says
   * otherwise: default `'white'`; `'drop'` ignores alpha as transformers.js does.
   */
  background?: ImageBackground;
  /**
   * Decode large JPEGs at a reduced DCT scale (1/2, 1/4 or 1/8, as Pillow's `draft()`), keeping at
   * least twice the model's input size: much less time and memory for photos, at a small
   * deviation from CLIPImageProcessor's full decode. Default true; false for exact parity.
   */
  jpegDctScaling?: boolean;
  /**
   * Images per vision-tower run (default 8): a call with more images runs several, each one unit of
   * its `schedule`, and holds one run's pixels at a time. ONNX Runtime's wasm heap grows to the
   * largest run it has seen and never shrinks, so this also bounds that heap. A call may override it.
   */
  imagesPerRun?: number;
  /** Prompts per text-tower run (default 128), each one unit of the call's `schedule`. */
  promptsPerRun?: number;
  /**
   * Join concurrent image embeddings (requests of a server) into shared vision-encoder runs: the
   * first call waits up to `windowMs` (default 2) for others, at most `maxImages` (default 8) per
   * run. Default off: a lone caller never waits.
   */
  batching?: BatchingOptions;
  /**
   * Memory the encoders may take (a Worker's 128 MB less what the service needs): each encoder is
   * sized from its file before ONNX Runtime loads it, and one that would not fit is refused with
   * ModelLoadError `model_too_large` naming what it needs (sdk/engine/memory-budget.ts). Applies
   * where models load from bytes (onnxruntime-web); default: no budget.
   */
  memoryBudget?: MemoryBudget;
  /** Download progress for URL and hub sources. */
  onProgress?: (progress: DownloadProgress) => void;
  /**
   * Hub revision (default main). A branch or tag is revalidated on each load (a conditional request
   * per file, cheap when nothing changed); a 40-hex commit is never asked about again once cached.
   */
  revision?: string;
  /** Hub endpoint for hub ids (default https://huggingface.co). */
  hubEndpoint?: string;
}
