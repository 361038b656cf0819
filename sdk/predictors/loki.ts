/**
 * Loki — Shi, Roberts, Sala et al., NeurIPS 2023, "Geometry-Aware Adaptation for
 * Pretrained Models". Optional post-hoc step.
 *
 *   ŷ = argmin_y Σ_i p_i · d(y, i)²
 *
 * the Fréchet mean of the class probabilities `p` under a label metric `d`. The candidates
 * y may include labels the classifier never scored, as long as the metric reaches them.
 * Metric: the paper uses a given one (e.g. WordNet path length); {@link textSquaredDistances}
 * derives `d²(y, i) = ||t_y − t_i||²` from unit-length class text embeddings, the
 * self-derived metric of methods.md. No deviation.
 */
import { InvalidInputError } from '../errors.js';
import type { Matrix } from '../types.js';
import { createMatrix, matMulTransposed, matVec } from './matrix.js';
import { assertMatrix } from './shape.js';

/** The Loki decision and the expected squared distance of every candidate. */
export interface LokiPrediction {
  /** Row of the distance matrix (candidate label) with the least risk; ties to the lower index. */
  index: number;
  /** `risk[y] = Σ_i p_i · d(y, i)²`. */
  risk: Float32Array;
}

/**
 * `d²(y, i) = ||t_y − t_i||² = 2 − 2 · t_y · t_i` for unit-length rows: candidates × classes.
 * Clamped at 0 against rounding.
 */
export function textSquaredDistances(candidates: Matrix, classes: Matrix): Matrix {
  assertMatrix(candidates, 'candidate embeddings');
  assertMatrix(classes, 'class embeddings');
  const products = matMulTransposed(candidates, classes);
  const out = createMatrix(products.rows, products.cols);
  for (let i = 0; i < out.data.length; i++) out.data[i] = Math.max(0, 2 - 2 * products.data[i]!);
  return out;
}

/**
 * Loki's prediction from class probabilities and squared distances (candidates × classes).
 *
 * @throws InvalidInputError when `probs` does not have one entry per class column, or when
 *   there is no candidate.
 */
export function lokiPredict(probs: Float32Array, squaredDistances: Matrix): LokiPrediction {
  assertMatrix(squaredDistances, 'squared distances');
  if (squaredDistances.rows === 0)
    throw new InvalidInputError('labels_empty', 'Loki needs at least one candidate');
  if (probs.length !== squaredDistances.cols) {
    throw new InvalidInputError(
      'invalid_input',
      `${probs.length} probabilities for ${squaredDistances.cols} classes of the distance matrix`,
    );
  }
  const risk = matVec(squaredDistances, probs);
  let index = 0;
  for (let y = 1; y < risk.length; y++) if (risk[y]! < risk[index]!) index = y;
  return { index, risk };
}
