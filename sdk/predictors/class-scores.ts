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
