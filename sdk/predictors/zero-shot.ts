/**
 * Zero-shot classification with prompt templates — CLIP (Radford et al., 2021,
 * "Learning Transferable Visual Models From Natural Language Supervision").
 *
 *   W[c]      = normalize(mean_t normalize(emb(template_t(c))))      (prompt ensemble)
 *   cosine[c] = normalize(img) · W[c]
 *   logit[c]  = logit_scale · cosine[c] + logit_bias
 *   score     = softmax(logit)        (CLIP; transformers.js `zero-shot-image-classification`)
 *             | sigmoid(logit[c])    (SigLIP, which adds its learned bias)
 *
 * With one template per class this is exactly transformers.js's pipeline: softmax over
 * `logits_per_image` = logit_scale · cosine. No deviation from the paper.
 */
import { InvalidInputError } from '../errors.js';
import { createMatrix, matrixRow, matVec } from '../math/matrix.js';
import { assertEmbedding, assertFinite, assertMatrix, unitEmbedding } from '../math/shape.js';
import { l2Normalize } from '../math/vector.js';
import type { Matrix } from '../types.js';
import {
  type Activation,
  activate,
  type BatchClassScores,
  type ClassScores,
  logitsOf,
  type Scoring,
} from './class-scores.js';

/** How cosines become logits and scores: the model's {@link Scoring}, with its activation named. */
export interface ZeroShotOptions extends Scoring {
  activation: Activation;
}

/**
 * Class weights from prompt-template embeddings: for each class, the mean of its
 * L2-normalised template embeddings, renormalised. Row c of the result is class c.
 * Normalising before averaging keeps one long embedding from dominating the ensemble.
 *
 * @param embeddingsPerClass - for each class, one text embedding per template (at least one).
 * @throws InvalidInputError for no classes, a class without embeddings, unequal lengths,
 *   non-finite or zero embeddings.
 */
export function classWeightsFromTemplates(embeddingsPerClass: readonly (readonly Float32Array[])[]): Matrix {
  if (embeddingsPerClass.length === 0) {
    throw new InvalidInputError('labels_empty', 'at least one class is needed to build class weights');
  }
  const dim = embeddingsPerClass[0]?.[0]?.length ?? 0;
  if (dim === 0) throw new InvalidInputError('invalid_input', 'class 0 has no non-empty template embedding');
  const weights = createMatrix(embeddingsPerClass.length, dim);
  const unit = new Float32Array(dim);
  embeddingsPerClass.forEach((embeddings, c) => {
    if (embeddings.length === 0) {
      throw new InvalidInputError('invalid_input', `class ${c} has no template embeddings`);
    }
    const row = matrixRow(weights, c);
    embeddings.forEach((embedding, t) => {
      assertEmbedding(embedding, dim, `template embedding ${t} of class ${c}`);
      l2Normalize(embedding, unit);
      for (let i = 0; i < dim; i++) row[i] = row[i]! + unit[i]!;
    });
    // The mean's 1/T factor disappears in the renormalisation.
    l2Normalize(row, row);
  });
  return weights;
}

/**
 * Scores one image embedding against unit-length class weights (rows of `weights`, as
 * built by {@link classWeightsFromTemplates}). The image is normalised here.
 *
 * @throws InvalidInputError for a malformed `weights`, an image of the wrong length,
 *   a non-finite or zero image, or a non-finite logit scale or bias.
 */
export function zeroShot(image: Float32Array, weights: Matrix, options: ZeroShotOptions): ClassScores {
  assertMatrix(weights, 'class weights');
  assertZeroShotOptions(options);
  const unit = unitEmbedding(image, weights.cols, 'image embedding');
  const cosine = new Float32Array(weights.rows);
  const logit = new Float32Array(weights.rows);
  cosineAndLogits(unit, weights, options, cosine, logit);
  return { cosine, logit, score: activate(logit, options.activation) };
}

/** {@link zeroShot} for every row of `images` (one image embedding per row). */
export function zeroShotBatch(images: Matrix, weights: Matrix, options: ZeroShotOptions): BatchClassScores {
  assertMatrix(images, 'image embeddings');
  assertMatrix(weights, 'class weights');
  assertZeroShotOptions(options);
  const cosine = createMatrix(images.rows, weights.rows);
  const logit = createMatrix(images.rows, weights.rows);
  const score = createMatrix(images.rows, weights.rows);
  for (let i = 0; i < images.rows; i++) {
    const unit = unitEmbedding(matrixRow(images, i), weights.cols, `image embedding ${i}`);
    cosineAndLogits(unit, weights, options, matrixRow(cosine, i), matrixRow(logit, i));
    activate(matrixRow(logit, i), options.activation, matrixRow(score, i));
  }
  return { cosine, logit, score };
}

function cosineAndLogits(
  unitImage: Float32Array,
  weights: Matrix,
  options: ZeroShotOptions,
  cosine: Float32Array,
  logit: Float32Array,
): void {
  matVec(weights, unitImage, cosine);
  logitsOf(cosine, options, logit);
}

function assertZeroShotOptions(options: ZeroShotOptions): void {
  assertFinite(options.logitScale, 'logitScale');
  if (options.logitBias !== undefined) assertFinite(options.logitBias, 'logitBias');
  if (options.activation !== 'softmax' && options.activation !== 'sigmoid') {
    throw new InvalidInputError('invalid_input', `activation must be 'softmax' or 'sigmoid'`, {
      details: { activation: options.activation },
    });
  }
}
