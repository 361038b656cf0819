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
  type ResultJson,
  type ResultLine,
  type ResultTally,
  resultJson,
  resultLine,
  tallyResultLines,
} from './batch/result-line.js';
export type { CalibratedPredictor, ClassifierCalibration } from './classifier/calibration.js';
export { promptCount, promptsOf } from './classifier/compile.js';
export { type ClassDescriptors, type ClassSubclasses, CompiledClassifier } from './classifier/compiled.js';
export type { StoredDtype } from './classifier/format.js';
export {
  type CalibrationOptions,
  type ClassifierSpec,
  type ClassifyOptions,
  Descry,
  type EmbedImagesOptions,
  type LabelledImages,
  type LoadOptions,
  type ModelInfo,
  type ModelSource,
} from './descry.js';
export type { ExternalDataFile, OnnxBackend, OnnxModel, OnnxSession, TensorData } from './engine/backend.js';
export { fromOrt } from './engine/backend.js';
export { ortWebBackend } from './engine/backends/ort-web.js';
export type { ModelFamily } from './engine/family.js';
export { type EncoderMemory, estimateEncoderMemory, type MemoryBudget } from './engine/memory-budget.js';
export { type OnnxSummary, readOnnxSummary } from './engine/onnx-summary.js';
export type { BatchingOptions } from './engine/run-batcher.js';
export {
  bytesSource,
  cacheApiDownloadCache,
  type DownloadCache,
  type DownloadProgress,
  type FileValidators,
  hubSource,
  type ModelFiles,
  urlSource,
} from './engine/source.js';
export type { ModelDtype } from './engine/towers.js';
export * from './errors.js';
export { type ImageBackground, resolveBackground } from './image/background.js';
export { type ImageProbe, type ProbeOptions, probeImage } from './image/probe.js';
export { calibrationFor } from './methods/predict.js';
export { isMethod, METHOD_NAMES, METHODS, type MethodSpec } from './methods/table.js';
export { dependencyMissing, installCommand, isModuleNotFound, missingPeer } from './optional-peer.js';
export type { ConfidenceMeasure, ConformalMethod } from './predictors/conformal.js';
export type { SubclassMap } from './predictors/subclasses.js';
export { type RuntimeDefaults, setRuntime } from './runtime.js';
export type { RunOptions, Schedule, WorkUnit } from './schedule.js';
export { descriptorPrompt } from './text/descriptor-prompts.js';
export { applyTemplate, EMOJI_TEMPLATES, TRANSFORMERS_JS_TEMPLATE } from './text/templates.js';
export type * from './types.js';
export {
  ConfigError,
  readVars,
  type VarHost,
  type VarNames,
  type VarSection,
  type VarSpec,
  type VarValues,
  varList,
  vars,
} from './vars.js';
