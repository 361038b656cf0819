/**
 * Predictors: pure functions from embeddings to class scores. They never fetch, decode,
 * encode text or log; callers pass image and text embeddings (Float32Array, or the
 * row-major `Matrix` of sdk/types.ts) and get per-class cosines, logits and scores.
 *
 * - {@link zeroShot}: CLIP with a template ensemble (Radford et al., 2021).
 * - {@link classifyByDescription}: LLM descriptors per class (Menon & Vondrick, ICLR 2023).
 * - {@link fuddScores}: follow-up differential descriptions for the top-k (Esfandiarpoor & Bach, ICLR 2024).
 * - {@link tfupScores}: training-free unsupervised cache over unlabelled images (Long et al., TFUP).
 * - {@link classifyBySubclasses}: labels scored by their subclasses, CHiLS (Novack et al., ICML 2023).
 * - {@link fitConformal} / {@link predictionSet}: split conformal prediction sets with guaranteed
 *   coverage (Angelopoulos & Bates; LAC, APS, RAPS), and the uncalibrated {@link noneOfThese}.
 *
 * @packageDocumentation
 */

export {
  createMatrix,
  matMulTransposed,
  matrixFromRows,
  matrixRow,
  matVec,
  normalizeRows,
} from '../math/matrix.js';
export {
  dot,
  klDivergence,
  klDivergenceFromLogProbs,
  l2Norm,
  l2Normalize,
  logSoftmax,
  sigmoid,
  softmax,
} from '../math/vector.js';
export { type Activation, activate, type BatchClassScores, type ClassScores } from './class-scores.js';
export {
  assertCalibrationSize,
  type ConfidenceMeasure,
  type ConformalMethod,
  type ConformalOptions,
  type ConformalThreshold,
  calibrationSizeNeeded,
  confidence,
  conformalQuantile,
  conformalRank,
  fitConformal,
  fitNoneOfThese,
  type NoneOfTheseThreshold,
  nonconformity,
  noneOfThese,
  type PredictionSet,
  type PredictionSetOptions,
  predictionSet,
  RAPS_DEFAULTS,
} from './conformal.js';
export {
  classifyByDescription,
  type DescribedClass,
  type DescriptionOptions,
  type DescriptionScores,
  type DescriptionWeights,
  descriptionWeights,
} from './descriptions.js';
export { weightsFingerprint } from './fingerprint.js';
export {
  type AttributePair,
  ambiguousSet,
  collectClassTexts,
  type FuddOptions,
  type FuddScores,
  fuddScores,
  orderedPair,
  type PairAttributeSource,
  type PairAttributes,
  pairKey,
} from './fudd.js';
export { rankDescending, topKIndices } from './ranking.js';
export {
  classifyBySubclasses,
  type SubclassedLabel,
  type SubclassMap,
  type SubclassOptions,
  type SubclassScores,
  type SubclassWeightOptions,
  type SubclassWeights,
  subclassLists,
  subclassWeights,
} from './subclasses.js';
export {
  buildTfupCache,
  extendTfupCache,
  TFUP_DEFAULTS,
  type TfupCache,
  type TfupCacheOptions,
  type TfupPredictOptions,
  tfupScores,
  tfupShots,
} from './tfup.js';
export { decodeTfupCache, encodeTfupCache } from './tfup-codec.js';
export { classWeightsFromTemplates, type ZeroShotOptions, zeroShot, zeroShotBatch } from './zero-shot.js';
