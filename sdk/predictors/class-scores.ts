/** The per-class output every predictor returns, and the activations that turn logits into scores. */

import { sigmoid, softmax } from '../math/vector.js';
import type { Matrix } from '../types.js';

/**
 * Per-class results for one image, all indexed like the class list.
 * `cosine` is the image–class similarity the method ranks by, `logit` what goes into the
 * activation, and `score` the probability (softmax) or independent sigmoid score.
 */
export interface ClassScores {
  cosine: Float32Array;
  logit: Float32Array;
  score: Float32Array;
}

/** {@link ClassScores} for a batch: row i belongs to image i, column c to class c. */
export interface BatchClassScores {
  cosine: Matrix;
  logit: Matrix;
  score: Matrix;
}

/** `softmax`: one distribution over the classes (CLIP). `sigmoid`: independent scores (SigLIP). */
export type Activation = 'softmax' | 'sigmoid';

/**
 * How a model turns cosines into scores (its family's profile, sdk/engine/family.ts):
 * `logit = logitScale · cosine + logitBias`, then `activation`. Every predictor takes one, so a
 * SigLIP model scores with its sigmoid and bias in every method, not only in zero-shot.
 */
export interface Scoring {
  /** The model's logit scale, already exponentiated (CLIP: exp(4.6052) = 100). */
  logitScale: number;
  /** Added to every logit (SigLIP's learned bias). Default 0. */
  logitBias?: number;
  /** Default 'softmax'. */
  activation?: Activation;
}

/** `logitScale · x + logitBias` for every entry of `values`, into `out`. */
export function logitsOf(
  values: ArrayLike<number>,
  scoring: Scoring,
  out: Float32Array = new Float32Array(values.length),
): Float32Array {
  const bias = scoring.logitBias ?? 0;
  for (let i = 0; i < values.length; i++) out[i] = scoring.logitScale * values[i]! + bias;
  return out;
}

/** Applies `activation` to `logits`, writing into `out`. */
export function activate(
  logits: Float32Array,
  activation: Activation,
  out: Float32Array = new Float32Array(logits.length),
): Float32Array {
  if (activation === 'softmax') return softmax(logits, out);
  for (let i = 0; i < logits.length; i++) out[i] = sigmoid(logits[i]!);
  return out;
}
