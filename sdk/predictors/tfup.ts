/**
 * TFUP: Training-Free Unsupervised Prompts — Long et al., "Training-Free Unsupervised
 * Prompt for Vision-Language Model Adaptation". The training-free part only (TFUP-T
 * trains and is out of scope).
 *
 * From N unlabelled features f (the pool) and class weights W (C × D, unit rows):
 *   pseudo-labels   P = softmax(10 · f Wᵀ)
 *   shots per class K = clamp(floor(0.3 · N / C), 9, 16), never more than N
 *   Feature Cache   for each class c: the 2K pool features with the highest P[:, c];
 *                   prototype score of candidate j = Σ_l KL(P_j || P_l) over the candidates;
 *                   the K lowest become keys labelled c (one feature may key several classes)
 *   Multi-level Similarity, for a test feature f_i and key m:
 *                   KL_im  = KL(softmax(10 · f_i W) || softmax(10 · key_m W))
 *                   sim_im = 2 · (max_m KL − KL_im) / (max_m KL − min_m KL)
 *                   A_im   = cos(f_i, key_m) · sim_im
 *   prediction      logits = 100 · f_i W + alpha · Σ_m exp(−beta · (1 − A_im)) · onehot(label_m)
 *                   with alpha = 0.3, beta = 1.
 *
 * Where we deviate or decide what the paper leaves open:
 * - `logit_scale` is the paper's 100, i.e. CLIP's; it is a parameter (default 100). A model
 *   with another learned scale s gets logits (s/100) · (100 · f W + alpha · cache): the paper's
 *   balance between the two terms, hence its ranking, with the model's own calibration. Using s
 *   in place of 100 without rescaling alpha would weigh the cache 100/s times more than the
 *   paper does (4× for the embedded model, s = 24.5; `npm run bench:methods` reports TFUP
 *   against zero-shot with the paper's balance).
 * - The minimum shots (9) is configurable for small pools, and K and 2K are capped at N.
 * - Constant KL row (every key equally far, e.g. a single key): the formula divides 0 by 0;
 *   we set sim = 1 for every key, the midpoint of its [0, 2] range, so the cache then
 *   weighs keys by feature cosine alone.
 * - Σ_l KL(P_j || P_l) is computed as n · Σ_c p_jc log p_jc − Σ_c p_jc Σ_l log p_lc,
 *   the same sum regrouped: O(n·C) per class instead of O(n²·C).
 * - The pool is every feature seen so far, capped at `poolCapacity` (default 4096) by
 *   dropping the oldest first; adding features reruns the selection on the whole pool.
 *   Memory: poolRows × (D + C) × 4 bytes, e.g. 4096 × (512 + 100) × 4 ≈ 10 MB; the
 *   pseudo-label log-probabilities are kept so that adding images and restoring a cache
 *   never re-encodes the pool.
 */
import { InvalidInputError, ModelMismatchError } from '../errors.js';
import { createMatrix, matrixRow, matVec } from '../math/matrix.js';
import { assertEmbedding, assertFinite, assertMatrix, unitEmbedding } from '../math/shape.js';
import { dot, l2Normalize, logSoftmax } from '../math/vector.js';
import type { Matrix } from '../types.js';
import { activate, type ClassScores, logitsOf, type Scoring } from './class-scores.js';
import { weightsFingerprint } from './fingerprint.js';
import { topKIndices } from './ranking.js';

/** How the cache is built; stored in the cache so that growing it keeps the same rules. */
export interface TfupCacheOptions {
  /** Scale of the pseudo-label softmax, the paper's 10. */
  pseudoLabelScale: number;
  /** K = floor(shotFraction · N / C) before clamping; the paper's 0.3. */
  shotFraction: number;
  /** Lower clamp of K; the paper's 9. */
  minShots: number;
  /** Upper clamp of K; the paper's 16. */
  maxShots: number;
  /** Most pool features kept; the oldest go first. Default 4096. */
  poolCapacity: number;
}

/** How cache logits join the zero-shot logits at prediction time, and the model's scoring. */
export interface TfupPredictOptions extends Partial<Scoring> {
  /** The model's logit scale, default 100 (CLIP's, the paper's). */
  logitScale?: number;
  /** Weight of the cache logits, default 0.3. */
  alpha?: number;
  /** Sharpness of exp(−beta · (1 − A)), default 1. */
  beta?: number;
}

/**
 * The TFUP feature cache: the retained pool and the keys selected from it. A plain object
 * of numbers and typed arrays: structured-clone it, or use tfup-codec.ts for bytes.
 */
export interface TfupCache {
  /** Embedding length D. */
  dim: number;
  /** Number of classes C. */
  classCount: number;
  /** {@link weightsFingerprint} of the class weights the cache was built with. */
  weightsFingerprint: number;
  options: TfupCacheOptions;
  /** Unit-length pool features, oldest first (N × D). */
  pool: Matrix;
  /** log softmax(pseudoLabelScale · pool Wᵀ) (N × C). */
  poolLogProbs: Matrix;
  /** Key m is pool row `keyIndices[m]`, labelled class `keyLabels[m]`. */
  keyIndices: Uint32Array;
  keyLabels: Uint32Array;
}

/** The paper's defaults, with our pool cap. */
export const TFUP_DEFAULTS: Readonly<TfupCacheOptions> = {
  pseudoLabelScale: 10,
  shotFraction: 0.3,
  minShots: 9,
  maxShots: 16,
  poolCapacity: 4096,
};

/**
 * Keys per class: `clamp(floor(shotFraction · n / classCount), minShots, maxShots)`,
 * never more than `n`.
 */
export function tfupShots(n: number, classCount: number, options: TfupCacheOptions = TFUP_DEFAULTS): number {
  const raw = Math.floor((options.shotFraction * n) / classCount);
  return Math.min(n, Math.max(options.minShots, Math.min(options.maxShots, raw)));
}

/**
 * Builds a cache from unlabelled image features (rows of `features`, normalised here) and
 * unit-length class weights (rows of `weights`).
 *
 * @throws InvalidInputError for bad shapes, non-finite or zero features, or bad options.
 */
export function buildTfupCache(
  features: Matrix,
  weights: Matrix,
  options: Partial<TfupCacheOptions> = {},
): TfupCache {
  assertMatrix(weights, 'class weights');
  if (weights.rows === 0) throw new InvalidInputError('labels_empty', 'TFUP needs at least one class');
  // An option given as undefined means the default, not "unset".
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const merged: TfupCacheOptions = { ...TFUP_DEFAULTS, ...given };
  const empty: TfupCache = {
    dim: weights.cols,
    classCount: weights.rows,
    weightsFingerprint: weightsFingerprint(weights),
    options: merged,
    pool: createMatrix(0, weights.cols),
    poolLogProbs: createMatrix(0, weights.rows),
    keyIndices: new Uint32Array(0),
    keyLabels: new Uint32Array(0),
  };
  return extendTfupCache(empty, features, weights);
}

/**
 * A new cache with `features` added to the pool (the oldest dropped beyond
 * `poolCapacity`) and the keys selected again from the whole pool, so K grows with N.
 * The input cache is not modified.
 *
 * @throws ModelMismatchError when `weights` are not the ones the cache was built with.
 * @throws InvalidInputError for bad shapes or non-finite or zero features.
 */
export function extendTfupCache(cache: TfupCache, features: Matrix, weights: Matrix): TfupCache {
  assertMatrix(features, 'image features');
  assertSameWeights(cache, weights);
  assertCacheOptions(cache.options);
  const { dim, classCount, options } = cache;
  if (features.rows > 0 && features.cols !== dim) {
    throw new InvalidInputError(
      'invalid_input',
      `image features have length ${features.cols}, expected ${dim}`,
    );
  }
  const kept = Math.min(cache.pool.rows, Math.max(0, options.poolCapacity - features.rows));
  const added = Math.min(features.rows, options.poolCapacity);
  const rows = kept + added;
  const pool = createMatrix(rows, dim);
  const poolLogProbs = createMatrix(rows, classCount);
  const dropped = cache.pool.rows - kept;
  pool.data.set(cache.pool.data.subarray(dropped * dim));
  poolLogProbs.data.set(cache.poolLogProbs.data.subarray(dropped * classCount));
  const cosines = new Float32Array(classCount);
  for (let i = 0; i < added; i++) {
    const source = features.rows - added + i;
    const feature = matrixRow(features, source);
    assertEmbedding(feature, dim, `image feature ${source}`);
    const unit = l2Normalize(feature, matrixRow(pool, kept + i));
    matVec(weights, unit, cosines);
    logSoftmax(cosines, matrixRow(poolLogProbs, kept + i), options.pseudoLabelScale);
  }
  const { keyIndices, keyLabels } = selectKeys(poolLogProbs, options);
  return { ...cache, pool, poolLogProbs, keyIndices, keyLabels };
}

/**
 * Scores one image with zero-shot logits plus the cache's logits. An empty cache leaves
 * the zero-shot logits unchanged.
 *
 * @throws ModelMismatchError when `weights` are not the ones the cache was built with.
 * @throws InvalidInputError for an image of the wrong length, non-finite or zero, or
 *   non-finite options.
 */
export function tfupScores(
  image: Float32Array,
  weights: Matrix,
  cache: TfupCache,
  options: TfupPredictOptions = {},
): ClassScores {
  const logitScale = options.logitScale ?? 100;
  const alpha = options.alpha ?? 0.3;
  const beta = options.beta ?? 1;
  assertFinite(logitScale, 'logitScale');
  assertFinite(alpha, 'alpha');
  assertFinite(beta, 'beta');
  assertSameWeights(cache, weights);
  const unit = unitEmbedding(image, cache.dim, 'image embedding');
  const cosine = matVec(weights, unit);
  const logit = logitsOf(cosine, { ...options, logitScale });
  const cacheLogits = cacheAffinities(unit, cosine, cache, beta);
  // The paper balances 100 · fW against alpha · cache. Scaling both by logitScale / 100 keeps that
  // balance (the ranking is the paper's for any model) while the activation uses the model's
  // calibration: softmax for CLIP, sigmoid with its bias for SigLIP.
  const cacheWeight = (alpha * logitScale) / 100;
  for (let c = 0; c < logit.length; c++) logit[c] = logit[c]! + cacheWeight * cacheLogits[c]!;
  return { cosine, logit, score: activate(logit, options.activation ?? 'softmax') };
}

/** Σ_m exp(−beta · (1 − A_im)) · onehot(label_m): the Multi-level Similarity cache logits. */
function cacheAffinities(
  unit: Float32Array,
  cosine: Float32Array,
  cache: TfupCache,
  beta: number,
): Float64Array {
  const out = new Float64Array(cache.classCount);
  const keyCount = cache.keyIndices.length;
  if (keyCount === 0) return out;
  const logProbs = logSoftmax(cosine, undefined, cache.options.pseudoLabelScale);
  const probs = new Float32Array(logProbs.length);
  let selfTerm = 0;
  for (let c = 0; c < logProbs.length; c++) {
    probs[c] = Math.exp(logProbs[c]!);
    selfTerm += probs[c]! * logProbs[c]!;
  }
  const divergences = new Float64Array(keyCount);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let m = 0; m < keyCount; m++) {
    // KL(P_i || P_m) = Σ p log p − Σ p log q_m: the first sum is the same for every key.
    const kl = selfTerm - dot(probs, matrixRow(cache.poolLogProbs, cache.keyIndices[m]!));
    divergences[m] = kl;
    if (kl < min) min = kl;
    if (kl > max) max = kl;
  }
  const range = max - min;
  for (let m = 0; m < keyCount; m++) {
    // A constant row has no spread to rescale: every key gets the midpoint similarity 1.
    const semantic = range > 0 ? (2 * (max - divergences[m]!)) / range : 1;
    const affinity = dot(unit, matrixRow(cache.pool, cache.keyIndices[m]!)) * semantic;
    const label = cache.keyLabels[m]!;
    out[label] = out[label]! + Math.exp(-beta * (1 - affinity));
  }
  return out;
}

/** The Feature Cache Model's key selection over the whole pool. */
function selectKeys(
  poolLogProbs: Matrix,
  options: TfupCacheOptions,
): { keyIndices: Uint32Array; keyLabels: Uint32Array } {
  const n = poolLogProbs.rows;
  const classCount = poolLogProbs.cols;
  const shots = tfupShots(n, classCount, options);
  const candidateCount = Math.min(n, 2 * shots);
  const keyIndices: number[] = [];
  const keyLabels: number[] = [];
  const column = new Float32Array(n);
  const logSums = new Float64Array(classCount);
  for (let c = 0; c < classCount && shots > 0; c++) {
    // Ranking by log P[:, c] is ranking by P[:, c]: log is monotonic.
    for (let j = 0; j < n; j++) column[j] = poolLogProbs.data[j * classCount + c]!;
    const candidates = topKIndices(column, candidateCount);
    logSums.fill(0);
    for (const l of candidates) {
      const row = matrixRow(poolLogProbs, l);
      for (let k = 0; k < classCount; k++) logSums[k] = logSums[k]! + row[k]!;
    }
    // Σ_l KL(P_j || P_l) = n · Σ_k p_jk log p_jk − Σ_k p_jk Σ_l log p_lk
    const prototypeScores = candidates.map((j) => {
      const row = matrixRow(poolLogProbs, j);
      let selfTerm = 0;
      let crossTerm = 0;
      for (let k = 0; k < classCount; k++) {
        const p = Math.exp(row[k]!);
        selfTerm += p * row[k]!;
        crossTerm += p * logSums[k]!;
      }
      return -(candidates.length * selfTerm - crossTerm);
    });
    // Lowest prototype score first: rank the negated scores, ties to the more confident candidate.
    for (const i of topKIndices(prototypeScores, shots)) {
      keyIndices.push(candidates[i]!);
      keyLabels.push(c);
    }
  }
  return { keyIndices: Uint32Array.from(keyIndices), keyLabels: Uint32Array.from(keyLabels) };
}

function assertSameWeights(cache: TfupCache, weights: Matrix): void {
  assertMatrix(weights, 'class weights');
  if (
    weights.rows !== cache.classCount ||
    weights.cols !== cache.dim ||
    weightsFingerprint(weights) !== cache.weightsFingerprint
  ) {
    throw new ModelMismatchError('model_mismatch', 'the TFUP cache was built with other class weights', {
      details: {
        classes: weights.rows,
        dim: weights.cols,
        cacheClasses: cache.classCount,
        cacheDim: cache.dim,
      },
    });
  }
}

function assertCacheOptions(options: TfupCacheOptions): void {
  assertFinite(options.pseudoLabelScale, 'pseudoLabelScale');
  if (!Number.isFinite(options.shotFraction) || options.shotFraction < 0) {
    throw new InvalidInputError('invalid_input', 'shotFraction must be a finite number ≥ 0');
  }
  if (!Number.isInteger(options.minShots) || options.minShots < 1) {
    throw new InvalidInputError('invalid_input', 'minShots must be an integer ≥ 1');
  }
  if (!Number.isInteger(options.maxShots) || options.maxShots < options.minShots) {
    throw new InvalidInputError('invalid_input', 'maxShots must be an integer ≥ minShots');
  }
  if (!Number.isInteger(options.poolCapacity) || options.poolCapacity < 1) {
    throw new InvalidInputError('invalid_input', 'poolCapacity must be an integer ≥ 1');
  }
}
