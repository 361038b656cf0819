/**
 * From image embeddings and a compiled classifier to ranked predictions, by method. The math is
 * in sdk/predictors; this module chooses a predictor, shapes its output into predictions, and
 * degrades to a simpler method when the inputs the asked one needs are missing, saying so.
 */
import type { CompiledClassifier } from '../classifier/compiled.js';
import { matrixRow } from '../math/matrix.js';
import type { Activation, ClassScores } from '../predictors/class-scores.js';
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
  Degradation,
  DescriptorAggregation,
  Evidence,
  Matrix,
  Prediction,
} from '../types.js';

/** How logits become scores for the loaded model. */
export interface Scoring {
  logitScale: number;
  logitBias: number;
  activation: Activation;
}

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

/** Encodes texts on demand (FuDD's pair descriptions). */
export type EmbedTexts = (texts: readonly string[]) => Promise<Matrix>;

/** Scores of one image with optional per-class evidence. */
export interface MethodScores extends ClassScores {
  evidence?: Evidence[][];
  /** Class order best first when the method fixes it (FuDD); else by score. */
  order?: number[];
}

/** Rank every image of `images` (rows, L2-normalised) with `classifier` by a local method. */
export function predict(
  images: Matrix,
  classifier: CompiledClassifier,
  scoring: Scoring,
  options: PredictOptions,
): ClassificationResult[] {
  const requested = options.method ?? 'zeroshot';
  let used: ClassificationMethod = requested;
  let reason: string | undefined;
  if (requested === 'descriptions' && !classifier.hasDescriptors) {
    used = 'zeroshot';
    reason = 'no descriptors were given for these labels';
  }
  if (requested === 'tfup' && !options.tfup) {
    used = classifier.hasDescriptors ? 'descriptions' : 'zeroshot';
    reason = 'no TFUP cache: adapt the classifier with unlabelled images first';
  }
  const score = scorer(used, classifier, scoring, options);
  const degraded: Degradation | undefined = reason ? { requested, used, reason } : undefined;
  const results: ClassificationResult[] = [];
  for (let i = 0; i < images.rows; i++) {
    const predictions = rank(classifier.labels, score(matrixRow(images, i)), options.topK);
    results.push(degraded ? { predictions, degraded } : { predictions });
  }
  return results;
}

/** The per-image scoring function of a local method, with its weights prepared once. */
export function scorer(
  method: ClassificationMethod,
  classifier: CompiledClassifier,
  scoring: Scoring,
  options: PredictOptions,
): (image: Float32Array) => MethodScores {
  switch (method) {
    case 'descriptions': {
      const weights = describedWeights(classifier);
      return (image) =>
        classifyByDescription(image, weights, {
          logitScale: scoring.logitScale,
          ...(options.aggregation ? { aggregation: options.aggregation } : {}),
        });
    }
    case 'tfup': {
      const tfup = options.tfup!;
      const weights = tfup.weights === 'descriptions' ? descriptorMeans(classifier) : classifier.weights;
      return (image) =>
        tfupScores(image, weights, tfup.cache, {
          logitScale: scoring.logitScale,
          ...(tfup.alpha === undefined ? {} : { alpha: tfup.alpha }),
          ...(tfup.beta === undefined ? {} : { beta: tfup.beta }),
        });
    }
    default:
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
