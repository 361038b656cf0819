/**
 * From image embeddings and a compiled classifier to ranked predictions, by method. The math is
 * in sdk/predictors; this module only chooses a predictor, shapes its output into predictions and
 * degrades to a simpler method when the inputs for the asked one are missing.
 */
import type { CompiledClassifier } from './classifier/compiled.js';
import type { Activation } from './predictors/class-scores.js';
import { matrixRow } from './predictors/matrix.js';
import { zeroShot } from './predictors/zero-shot.js';
import type { ClassificationMethod, ClassificationResult, Matrix, Prediction } from './types.js';

/** How logits become scores for the loaded model. */
export interface Scoring {
  logitScale: number;
  logitBias: number;
  activation: Activation;
}

/** Options shared by every method. */
export interface PredictOptions {
  /** Default 'zeroshot'. */
  method?: ClassificationMethod;
  /** Predictions kept per image, best first (default: all). */
  topK?: number;
}

/** Encodes texts on demand (FuDD's pair descriptions); never called for zero-shot or descriptions. */
export type EmbedTexts = (texts: readonly string[]) => Promise<Matrix>;

/** Rank every image of `images` (rows, L2-normalised) with `classifier`. */
export async function predict(
  images: Matrix,
  classifier: CompiledClassifier,
  scoring: Scoring,
  options: PredictOptions,
  _embedTexts: EmbedTexts,
): Promise<ClassificationResult[]> {
  const results: ClassificationResult[] = [];
  for (let i = 0; i < images.rows; i++) {
    const scores = zeroShot(matrixRow(images, i), classifier.weights, {
      logitScale: scoring.logitScale,
      logitBias: scoring.logitBias,
      activation: scoring.activation,
    });
    results.push({ predictions: rank(classifier.labels, scores, options.topK) });
  }
  return results;
}

function rank(
  labels: readonly string[],
  scores: { cosine: Float32Array; logit: Float32Array; score: Float32Array },
  topK: number | undefined,
): Prediction[] {
  const order = labels.map((_, i) => i).sort((a, b) => scores.score[b]! - scores.score[a]! || a - b);
  const kept = topK === undefined ? order : order.slice(0, Math.max(1, Math.floor(topK)));
  return kept.map((i) => ({
    label: labels[i]!,
    score: scores.score[i]!,
    cosine: scores.cosine[i]!,
    logit: scores.logit[i]!,
  }));
}
