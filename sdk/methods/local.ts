/**
 * The local methods (every one but FuDD, which asks an LLM): from image embeddings and a compiled
 * classifier to ranked predictions. The math is in sdk/predictors; this module prepares each
 * predictor's weights once per classifier and shapes its output into predictions. Which method
 * runs is decided by the method table (./table.ts), in ./predict.ts.
 */
import type { CompiledClassifier } from '../classifier/compiled.js';
import { matrixRow } from '../math/matrix.js';
import type { ClassScores, Scoring } from '../predictors/class-scores.js';
import {
  classifyByDescription,
  type DescriptionWeights,
  descriptionWeights,
} from '../predictors/descriptions.js';
import { topKIndices } from '../predictors/ranking.js';
import { type TfupCache, tfupScores } from '../predictors/tfup.js';
import { classWeightsFromTemplates, zeroShot } from '../predictors/zero-shot.js';
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
  /** Required for 'tfup'. */
  tfup?: TfupOptions;
}

/** Scores of one image with optional per-class evidence. */
export interface MethodScores extends ClassScores {
  evidence?: Evidence[][];
  /** Class order best first when the method fixes it (FuDD); else by score. */
  order?: number[];
}

/** Rank every image of `images` (rows, L2-normalised) with `classifier` by local method `method`. */
export function rankLocal(
  images: Matrix,
  classifier: CompiledClassifier,
  scoring: ModelScoring,
  method: Exclude<ClassificationMethod, 'fudd'>,
  options: PredictOptions,
): ClassificationResult[] {
  const score = scorer(method, classifier, scoring, options);
  const results: ClassificationResult[] = [];
  for (let i = 0; i < images.rows; i++) {
    results.push({ predictions: rank(classifier.labels, score(matrixRow(images, i)), options.topK) });
  }
  return results;
}

/** The per-image scoring function of a local method, with its weights prepared once. */
export function scorer(
  method: Exclude<ClassificationMethod, 'fudd'>,
  classifier: CompiledClassifier,
  scoring: ModelScoring,
  options: PredictOptions,
): (image: Float32Array) => MethodScores {
  switch (method) {
    case 'descriptions': {
      const weights = describedWeights(classifier);
      return (image) =>
        classifyByDescription(image, weights, {
          ...scoring,
          ...(options.aggregation ? { aggregation: options.aggregation } : {}),
        });
    }
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
    case 'zeroshot':
      return (image) => zeroShot(image, classifier.weights, scoring);
  }
}

const describedCache = new WeakMap<CompiledClassifier, DescriptionWeights>();

/** Stacked descriptor embeddings, built once per classifier. */
function describedWeights(classifier: CompiledClassifier): DescriptionWeights {
  let weights = describedCache.get(classifier);
  if (!weights) {
    weights = descriptionWeights(
      classifier.labels.map((_, c) => ({
        descriptors: classifier.descriptors[c]?.descriptors ?? [],
        embeddings: classifier.descriptors[c]?.embeddings ?? {
          rows: 0,
          cols: classifier.weights.cols,
          data: new Float32Array(),
        },
        fallback: matrixRow(classifier.weights, c),
      })),
    );
    describedCache.set(classifier, weights);
  }
  return weights;
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
