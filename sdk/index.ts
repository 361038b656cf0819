/**
 * Descry's runtime-neutral API. Import it through the entry point of your runtime
 * (`descry/node`, `descry/browser`, `descry/workerd`), which installs that runtime's defaults.
 */

export {
  type BatchEngine,
  type ClassifyBatchOptions,
  classifyBatch,
  embedImagesSettled,
  type KeyedImage,
  type SettledEmbeddings,
  type SettledOptions,
} from './batch/classify-batch.js';
export {
  errorLine,
  formatResultLines,
  type LineError,
  type LinePrediction,
  parseResultLines,
  type ResultLine,
  type ResultTally,
  resultLine,
  tallyResultLines,
} from './batch/result-line.js';
export { type ClassDescriptors, CompiledClassifier } from './classifier/compiled.js';
export type { StoredDtype } from './classifier/format.js';
export {
  type ClassifierSpec,
  type ClassifyOptions,
  Descry,
  type EmbedImagesOptions,
  type LoadOptions,
  type ModelInfo,
  type ModelSource,
} from './descry.js';
export * from './errors.js';
export type { ImageBackground } from './image/background.js';
export { type ImageProbe, type ProbeOptions, probeImage } from './image/probe.js';
export type { OnnxBackend, OnnxModel, OnnxSession, TensorData } from './model/backend.js';
export { fromOrt } from './model/backend.js';
export { ortWebBackend } from './model/backends/ort-web.js';
export type { ModelDtype } from './model/encoders.js';
export { type EncoderMemory, estimateEncoderMemory, type MemoryBudget } from './model/memory-budget.js';
export { type OnnxSummary, readOnnxSummary } from './model/onnx-summary.js';
export type { BatchingOptions } from './model/run-batcher.js';
export {
  bytesSource,
  cacheApiDownloadCache,
  type DownloadCache,
  type DownloadProgress,
  hubSource,
  type ModelFiles,
  urlSource,
} from './model/source.js';
export { type RuntimeDefaults, setRuntime } from './runtime.js';
export { descriptorPrompt } from './text/descriptor-prompts.js';
export { applyTemplate, EMOJI_TEMPLATES, TRANSFORMERS_JS_TEMPLATE } from './text/templates.js';
export type * from './types.js';
