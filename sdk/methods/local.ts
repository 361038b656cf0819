/**
 * The local methods (every one but FuDD, which asks an LLM): from image embeddings and a compiled
 * classifier to ranked predictions, and to conformal sets when the classifier is calibrated for
 * the method. The math is in sdk/predictors; the methods a calibration can hold for (zero-shot,
 * descriptions, subclasses) score through classifier/calibrate.ts's `calibratedScorer`, so a
 * calibration and a classification of the same method score alike by construction. Which method
 * runs is decided by the method table (./table.ts), in ./predict.ts.
 */
import { calibratedScorer, labelSet } from '../classifier/calibrate.js';
import type { CalibratedPredictor } from '../classifier/calibration.js';
import type { CompiledClassifier } from '../classifier/compiled.js';
import { matrixRow } from '../math/matrix.js';
import type { ClassScores, Scoring } from '../predictors/class-scores.js';
import { topKIndices } from '../predictors/ranking.js';
import { type TfupCache, tfupScores } from '../predictors/tfup.js';
import { classWeightsFromTemplates } from '../predictors/zero-shot.js';
import type {
  ClassificationMethod,
  ClassificationResult,
  DescriptorAggregation,
  Evidence,
  Matrix,
  Prediction,
} from '../types.js';

/** How the loaded model turns cosines into scores (its family's profile), every field set. */
export type ModelScoring = Required<Scoring>;

/** TFUP at prediction time. */
export interface TfupOptions {
  /** The feature cache built from unlabelled images (see `Descry.adapt`). */
  cache: TfupCache;
  /** Class weights the cache was built on: template ensembles (default) or descriptor means. */
  weights?: 'templates' | 'descriptions';
  alpha?: number;
  beta?: number;
}

/** Options shared by every method. */
export interface PredictOptions {
  /** Default 'zeroshot'. */
  method?: ClassificationMethod;
  /** Predictions kept per image, best first (default: all). */
  topK?: number;
  /** Pooling of descriptor cosines for 'descriptions' (default mean, the paper's). */
  aggregation?: DescriptorAggregation;
  /** 'subclasses': multiply a subclass's probability by its label's (CHiLS; default true). */
  reweight?: boolean;
  /** 'subclasses': count each label's own prompt as one of its subclasses (default false). */
  includeLabel?: boolean;
  /**
   * With a calibrated classifier: abstain when an image's conformal set holds more labels than
   * this (the set is still returned). Asking for it where no set can be built (no calibration, or
   * one fitted for another method) is an error rather than a silent absence.
   */
  maxSetSize?: number;
  /** Required for 'tfup'. */
  tfup?: TfupOptions;
}

/** Scores of one image with optional per-class evidence. */
export interface MethodScores extends ClassScores {
  evidence?: Evidence[][];
  /** Class order best first when the method fixes it (FuDD); else by score. */
  order?: number[];
}

/**
 * Rank every image of `images` (rows, L2-normalised) with `classifier` by local method `method`.
 * With `conformal` (the predictor the classifier's calibration holds for, checked by the caller),
 * each result carries its conformal set, computed on every label's score before `topK`.
 */
export function rankLocal(
  images: Matrix,
  classifier: CompiledClassifier,
  scoring: ModelScoring,
  method: Exclude<ClassificationMethod, 'fudd'>,
  options: PredictOptions,
  conformal?: CalibratedPredictor,
): ClassificationResult[] {
  const score = scorer(method, classifier, scoring, options);
  const setOptions = options.maxSetSize === undefined ? {} : { maxSetSize: options.maxSetSize };
  const results: ClassificationResult[] = [];
  for (let i = 0; i < images.rows; i++) {
    const scores = score(matrixRow(images, i));
    const result: ClassificationResult = { predictions: rank(classifier.labels, scores, options.topK) };
    if (conformal) result.set = labelSet(classifier, scores, conformal, setOptions);
    results.push(result);
  }
  return results;
}

/**
 * The predictor whose scores `method` produces with `options`, for the methods a calibration can
 * hold for (undefined for FuDD and TFUP): what `Descry.calibrate` records and classify matches.
 */
export function predictorOf(
  method: ClassificationMethod,
  options: Pick<PredictOptions, 'aggregation' | 'reweight' | 'includeLabel'>,
): CalibratedPredictor | undefined {
  switch (method) {
    case 'zeroshot':
      return { method: 'zeroshot' };
    case 'descriptions':
      return { method: 'descriptions', aggregation: options.aggregation ?? 'mean' };
    case 'subclasses':
      return {
        method: 'subclasses',
        reweight: options.reweight ?? true,
        includeLabel: options.includeLabel ?? false,
      };
    default:
      return undefined;
  }
}

/** The per-image scoring function of a local method, with its weights prepared once. */
export function scorer(
  method: Exclude<ClassificationMethod, 'fudd'>,
  classifier: CompiledClassifier,
  scoring: ModelScoring,
  options: PredictOptions,
): (image: Float32Array) => MethodScores {
  switch (method) {
    case 'zeroshot':
    case 'descriptions':
    case 'subclasses':
      return calibratedScorer(classifier, predictorOf(method, options)!, scoring);
    case 'tfup': {
      const tfup = options.tfup;
      if (!tfup) throw new Error('tfup needs options.tfup: resolveMethod falls back without it');
      const weights = tfup.weights === 'descriptions' ? descriptorMeans(classifier) : classifier.weights;
      return (image) =>
        tfupScores(image, weights, tfup.cache, {
          ...scoring,
          ...(tfup.alpha === undefined ? {} : { alpha: tfup.alpha }),
          ...(tfup.beta === undefined ? {} : { beta: tfup.beta }),
        });
    }
  }
}

const meansCache = new WeakMap<CompiledClassifier, Matrix>();

/**
 * One weight row per class from its descriptors: normalize(mean of descriptor embeddings). With
 * unit descriptor rows, `img · mean` is the paper's mean of cosines, so TFUP built on these
 * weights ranks like classification by description. Classes without descriptors keep their
 * template row.
 */
export function descriptorMeans(classifier: CompiledClassifier): Matrix {
  let means = meansCache.get(classifier);
  if (!means) {
    means = classWeightsFromTemplates(
      classifier.labels.map((_, c) => {
        const d = classifier.descriptors[c];
        if (!d || d.embeddings.rows === 0) return [matrixRow(classifier.weights, c)];
        return Array.from({ length: d.embeddings.rows }, (_, r) => matrixRow(d.embeddings, r));
      }),
    );
    meansCache.set(classifier, means);
  }
  return means;
}

/** Predictions best first (by `order` when given, else by score; ties to the lower index). */
export function rank(
  labels: readonly string[],
  scores: MethodScores,
  topK: number | undefined,
): Prediction[] {
  const count = topK === undefined ? labels.length : Math.max(1, Math.floor(topK));
  const kept = scores.order ? scores.order.slice(0, count) : topKIndices(scores.score, count);
  return kept.map((i) => {
    const prediction: Prediction = {
      label: labels[i]!,
      score: scores.score[i]!,
      cosine: scores.cosine[i]!,
      logit: scores.logit[i]!,
    };
    const evidence = scores.evidence?.[i];
    if (evidence && evidence.length > 0) prediction.evidence = evidence;
    return prediction;
  });
}
