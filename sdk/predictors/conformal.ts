/**
 * Split conformal prediction — Angelopoulos & Bates, "A Gentle Introduction to Conformal
 * Prediction and Distribution-Free Uncertainty Quantification" (2021), §1 and §2.1; for zero-shot
 * CLIP, Silva-Rodríguez, Ben Ayed & Dolz, CVPR 2025, "Conformal Prediction for Zero-Shot Models"
 * (code: github.com/jusiro/CLIP-Conformal).
 *
 * From n labelled calibration images, exchangeable with the images to classify:
 *
 *   s_i = S(x_i, y_i)                              nonconformity of the true label
 *   k   = ⌈(n + 1)(1 − α)⌉                         refused when k > n (n < 1/α − 1)
 *   q̂   = the k-th smallest s_i                    (the ⌈(n+1)(1−α)⌉/n empirical quantile, "higher")
 *   C(x) = { y : S(x, y) ≤ q̂ }
 *
 * guarantees 1 − α ≤ P(y ∈ C(x)) (marginally, over calibration set and test image), and
 * P(y ∈ C(x)) ≤ 1 − α + 1/(n + 1) when the scores have no ties. Nonconformity scores S:
 *
 * - LAC (Sadinle, Lei & Wasserman, JASA 2019, "least ambiguous set-valued classifiers"):
 *   S = 1 − p_y. The default. With the true conditional probabilities it gives the smallest sets
 *   on average of any rule with the same coverage (their Theorem 1); on the zero-shot scores of
 *   bench:methods its sets are the smallest at α = 0.1 in all four settings and within 2% of
 *   APS's at α = 0.05 (CHiLS on 98 subcategories: 14.9 labels at α = 0.1, APS 15.5, RAPS 19.5;
 *   bench/results/methods-accuracy.md). Its sets can be empty — an image no label fits well enough,
 *   which is exactly the "none of these" a zero-shot classifier lacks. Empty sets miss the true
 *   label, so abstaining on them rejects at most α of in-set images: a false-rejection rate with
 *   a guarantee. Its weakness is adaptivity: coverage is marginal, lower on hard classes.
 * - APS (Romano, Sesia & Candès, NeurIPS 2020): S = total probability of the labels ranked above
 *   y. Adaptive (hard images get larger sets, class-conditional coverage is more even), with sets
 *   about as large as LAC's here, and never empty (the top label scores 0): it cannot say "none of
 *   these".
 * - RAPS (Angelopoulos, Bates, Malik & Jordan, ICLR 2021): APS + λ·max(0, rank(y) − k_reg),
 *   which penalises long tails of tiny probabilities. Defaults k_reg = 1, λ = 0.001: those of the
 *   zero-shot CLIP study above (`conformal_method(..., lambda_raps=0.001, k_raps=1)`); the Gentle
 *   Introduction's ImageNet example uses k_reg = 5, λ = 0.01.
 *
 * Deviations:
 * - APS and RAPS are not randomised. Their score is Σ_{above y} p + U·p_y with U uniform; a
 *   classifier that answers the same image differently on each call is not what users expect, so
 *   we fix U = 0. Any fixed U is a deterministic score, so the guarantee and its upper bound hold
 *   unchanged (calibration and prediction use the same score). U = 1, the Gentle Introduction's
 *   code, would empty the sets of the images the model is surest of (p_top > q̂: 3.6% of the
 *   subcategory and 8.6% of the group images in bench:methods), an "abstain" that reads as "none
 *   of these" exactly where the model is right; U = 0 keeps the top label in every set, which the
 *   RAPS authors' code (`allow_zero_sets=False`) enforces by hand.
 * - For APS/RAPS the scores are normalised to sum 1 first (SigLIP's sigmoid scores do not); LAC
 *   uses the scores as they are, since any score in [0, 1] is a valid LAC input.
 * - k = ⌈(n+1)(1−α)⌉ is computed with a relative tolerance of 1e-9, so that (n+1)(1−α) = 19 for
 *   n = 19, α = 0.05 is not taken as 19.000000000000004 and rounded up to 20 by binary floats.
 * Labels are ranked best first with ties to the lower index (ranking.ts), in calibration and in
 * prediction alike, so the two compute identical scores.
 *
 * "None of these". An empty LAC set is one, with its rejections of in-set images bounded by α; but
 * on a weak zero-shot model q̂ sits near 1 (the true label's probability is tiny for α of the
 * images), sets are large and never empty (bench/results/methods-accuracy.md, open set). Two more:
 * - {@link noneOfThese} with a threshold the caller picks on the top score, the top cosine or the
 *   top-two margin: no guarantee of any kind. The top cosine separates images whose label is
 *   missing best in the benchmark (it keeps the absolute fit that the softmax normalises away), so
 *   it is the default measure.
 * - {@link fitNoneOfThese}: the same rule with its threshold fitted on the confidences of n
 *   calibration images whose label is among the candidates (no labels needed otherwise): reject
 *   below the ⌈(n+1)(1−α)⌉-th smallest of the negated confidences, i.e. the conformal quantile of
 *   the nonconformity −confidence. Then an exchangeable in-set image is rejected with probability
 *   ≤ α (conformal outlier detection: Bates, Candès, Lei, Romano & Sesia, Annals of Statistics
 *   2023, "Testing for outliers with conformal p-values"). It bounds false rejections only: how
 *   many images without their label it catches depends on the model.
 */
import { InvalidInputError } from '../errors.js';
import { matrixRow } from '../math/matrix.js';
import { assertMatrix } from '../math/shape.js';
import type { Matrix } from '../types.js';
import type { ClassScores } from './class-scores.js';
import { rankDescending } from './ranking.js';

/** Nonconformity score: see the file header. */
export type ConformalMethod = 'lac' | 'aps' | 'raps';

/** RAPS regularisation defaults (Silva-Rodríguez et al.'s zero-shot CLIP code). */
export const RAPS_DEFAULTS = { kReg: 1, lambda: 0.001 } as const;

/** What to fit. */
export interface ConformalOptions {
  /** Miscoverage: sets hold the true label at least 1 − α of the time. In (0, 1). */
  alpha: number;
  /** Default 'lac'. */
  method?: ConformalMethod;
  /** RAPS: ranks up to `kReg` are free. Default 1. */
  kReg?: number;
  /** RAPS: penalty per rank beyond `kReg`. Default 0.001. */
  lambda?: number;
}

/** A fitted split-conformal threshold: everything needed to build sets, and nothing else. */
export interface ConformalThreshold {
  alpha: number;
  method: ConformalMethod;
  /** q̂: labels with nonconformity ≤ q̂ are in the set. */
  threshold: number;
  /** Calibration images. */
  n: number;
  /** k = ⌈(n+1)(1−α)⌉: q̂ is the k-th smallest calibration score. */
  rank: number;
  /** RAPS only. */
  kReg?: number;
  lambda?: number;
}

/** The labels an image may be, with the decision to abstain. */
export interface PredictionSet {
  /** Label indices in the set, best first. */
  labels: number[];
  /** True when the set is empty ("none of these") or larger than the caller allows. */
  abstain: boolean;
  /** Why it abstains. */
  reason?: 'empty' | 'too_large';
}

/** Options of {@link predictionSet}. */
export interface PredictionSetOptions {
  /** Abstain when the set holds more labels than this (the set is still returned). */
  maxSetSize?: number;
}

/**
 * k = ⌈(n + 1)(1 − α)⌉, the rank of the calibration score that becomes q̂.
 *
 * @throws InvalidInputError for α outside (0, 1) or n not a non-negative integer.
 */
export function conformalRank(n: number, alpha: number): number {
  assertAlpha(alpha);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new InvalidInputError('invalid_input', 'the calibration size must be a non-negative integer', {
      details: { n },
    });
  }
  const x = (n + 1) * (1 - alpha);
  const nearest = Math.round(x);
  return Math.abs(x - nearest) <= 1e-9 * Math.max(1, x) ? nearest : Math.ceil(x);
}

/** The smallest calibration set α allows: the least n with ⌈(n+1)(1−α)⌉ ≤ n (α = 0.05: 19). */
export function calibrationSizeNeeded(alpha: number): number {
  assertAlpha(alpha);
  let n = Math.max(1, Math.ceil(1 / alpha) - 1);
  while (n > 1 && conformalRank(n - 1, alpha) <= n - 1) n--;
  while (conformalRank(n, alpha) > n) n++;
  return n;
}

/**
 * Returns k = ⌈(n+1)(1−α)⌉ for n calibration images, or throws when k > n: call it before
 * scoring the images, to refuse a set that is too small before any work.
 *
 * @throws InvalidInputError (`calibration_too_small`), saying how many images α needs.
 */
export function assertCalibrationSize(n: number, alpha: number): number {
  const rank = conformalRank(n, alpha);
  if (rank > n) {
    const needed = calibrationSizeNeeded(alpha);
    throw new InvalidInputError(
      'calibration_too_small',
      `α = ${alpha} needs at least ${needed} labelled calibration images, got ${n}: with fewer, ⌈(n+1)(1−α)⌉ > n and no threshold can guarantee coverage`,
      { details: { alpha, n, needed } },
    );
  }
  return rank;
}

/**
 * q̂ from calibration scores: the k-th smallest, k = ⌈(n+1)(1−α)⌉.
 *
 * @throws InvalidInputError (`calibration_too_small`) when k > n: no finite q̂ gives the
 *   guarantee, and the message says how many calibration images α needs; InvalidInputError for
 *   a non-finite score or α outside (0, 1).
 */
export function conformalQuantile(
  scores: ArrayLike<number>,
  alpha: number,
): { threshold: number; rank: number } {
  const n = scores.length;
  const rank = assertCalibrationSize(n, alpha);
  const sorted = Float64Array.from(scores);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(sorted[i]!)) {
      throw new InvalidInputError('invalid_input', `calibration score ${i} is not a finite number`);
    }
  }
  sorted.sort();
  return { threshold: sorted[rank - 1]!, rank };
}

/**
 * Nonconformity of `label` for one image's class scores (see the file header).
 *
 * @param scores - per-class probabilities (softmax) or independent scores (sigmoid).
 */
export function nonconformity(
  scores: ArrayLike<number>,
  label: number,
  method: ConformalMethod,
  params: { kReg?: number; lambda?: number } = {},
): number {
  if (method === 'lac') return 1 - scores[label]!;
  const { order, mass } = rankedMass(scores);
  const { kReg, lambda } = raps(method, params);
  let above = 0;
  for (let r = 0; r < order.length; r++) {
    if (order[r] === label) return above + lambda * Math.max(0, r + 1 - kReg);
    above += mass[order[r]!]!;
  }
  throw new InvalidInputError('invalid_input', `label ${label} is not one of the ${scores.length} classes`);
}

/**
 * Fits q̂ on calibration scores: one row of class scores per image, the index of its true class.
 *
 * @throws InvalidInputError (`calibration_too_small`) for fewer images than α needs;
 *   InvalidInputError for labels out of range, a row count that differs from the labels', an
 *   unknown method, invalid RAPS parameters or α outside (0, 1).
 */
export function fitConformal(
  scores: Matrix,
  labels: ArrayLike<number>,
  options: ConformalOptions,
): ConformalThreshold {
  assertMatrix(scores, 'calibration scores');
  assertAlpha(options.alpha);
  const method = options.method ?? 'lac';
  if (method !== 'lac' && method !== 'aps' && method !== 'raps') {
    throw new InvalidInputError('invalid_input', `method must be 'lac', 'aps' or 'raps'`, {
      details: { method },
    });
  }
  const params = raps(method, options);
  if (labels.length !== scores.rows) {
    throw new InvalidInputError(
      'invalid_input',
      `${scores.rows} calibration score rows but ${labels.length} true labels`,
    );
  }
  const values = new Float64Array(scores.rows);
  for (let i = 0; i < scores.rows; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= scores.cols) {
      throw new InvalidInputError('invalid_input', `true label ${y} of image ${i} is not a class index`, {
        details: { image: i, label: y, classes: scores.cols },
      });
    }
    values[i] = nonconformity(matrixRow(scores, i), y, method, params);
  }
  const { threshold, rank } = conformalQuantile(values, options.alpha);
  return {
    alpha: options.alpha,
    method,
    threshold,
    n: scores.rows,
    rank,
    ...(method === 'raps' ? { kReg: params.kReg, lambda: params.lambda } : {}),
  };
}

/**
 * The conformal set of one image: every label whose nonconformity is ≤ q̂, best first, with
 * `abstain` when it is empty or larger than `maxSetSize`.
 */
export function predictionSet(
  scores: ArrayLike<number>,
  fitted: ConformalThreshold,
  options: PredictionSetOptions = {},
): PredictionSet {
  const labels: number[] = [];
  if (fitted.method === 'lac') {
    for (const c of rankDescending(scores)) {
      if (1 - scores[c]! <= fitted.threshold) labels.push(c);
      else break;
    }
  } else {
    const { order, mass } = rankedMass(scores);
    const { kReg, lambda } = raps(fitted.method, fitted);
    let above = 0;
    for (let r = 0; r < order.length; r++) {
      if (above + lambda * Math.max(0, r + 1 - kReg) > fitted.threshold) break;
      labels.push(order[r]!);
      above += mass[order[r]!]!;
    }
  }
  const max = options.maxSetSize;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1)) {
    throw new InvalidInputError('invalid_input', 'maxSetSize must be a positive integer', {
      details: { maxSetSize: max },
    });
  }
  if (labels.length === 0) return { labels, abstain: true, reason: 'empty' };
  if (max !== undefined && labels.length > max) return { labels, abstain: true, reason: 'too_large' };
  return { labels, abstain: false };
}

/** What the uncalibrated "none of these" looks at. */
export type ConfidenceMeasure = 'score' | 'cosine' | 'margin';

/**
 * One image's confidence that some label fits: its top score (`score`, the maximum softmax
 * probability of Hendrycks & Gimpel, ICLR 2017), its top cosine (`cosine`), or the gap between its
 * two best scores (`margin`; the top score when there is one label).
 */
export function confidence(scores: ClassScores, measure: ConfidenceMeasure = 'cosine'): number {
  const source = measure === 'cosine' ? scores.cosine : scores.score;
  let first = Number.NEGATIVE_INFINITY;
  let second = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < source.length; i++) {
    const v = source[i]!;
    if (v > first) {
      second = first;
      first = v;
    } else if (v > second) second = v;
  }
  if (measure !== 'margin') return first;
  return second === Number.NEGATIVE_INFINITY ? first : first - second;
}

/**
 * "None of these": true when the image's {@link confidence} (default: the top cosine) is below
 * `below`. With a threshold picked by hand, no guarantee: how many in-set images it rejects
 * depends on the model, the labels and the images. With one from {@link fitNoneOfThese}, at most
 * α of in-set images.
 */
export function noneOfThese(
  scores: ClassScores,
  options: { below: number; measure?: ConfidenceMeasure },
): boolean {
  if (typeof options.below !== 'number' || Number.isNaN(options.below)) {
    throw new InvalidInputError('invalid_input', 'below must be a number', {
      details: { below: options.below },
    });
  }
  return confidence(scores, options.measure) < options.below;
}

/** A fitted "none of these" threshold: reject an image whose confidence is below `below`. */
export interface NoneOfTheseThreshold {
  measure: ConfidenceMeasure;
  below: number;
  /** In-set images are rejected with probability at most α. */
  alpha: number;
  n: number;
  rank: number;
}

/**
 * Fits the threshold of {@link noneOfThese} so that at most α of in-set images are rejected: from
 * the confidences (by `measure`) of calibration images whose true label is among the candidates.
 *
 * @throws InvalidInputError (`calibration_too_small`) for fewer images than α needs (α = 0.05: 19).
 */
export function fitNoneOfThese(
  confidences: ArrayLike<number>,
  alpha: number,
  measure: ConfidenceMeasure = 'cosine',
): NoneOfTheseThreshold {
  const negated = Array.from(confidences, (c) => -c);
  const { threshold, rank } = conformalQuantile(negated, alpha);
  // Accept when −c ≤ q̂, i.e. c ≥ −q̂: reject strictly below −q̂.
  return { measure, below: -threshold, alpha, n: negated.length, rank };
}

/** Labels best first and the normalised mass of each (APS, RAPS). */
function rankedMass(scores: ArrayLike<number>): { order: number[]; mass: Float64Array } {
  let total = 0;
  for (let i = 0; i < scores.length; i++) total += scores[i]!;
  const mass = new Float64Array(scores.length);
  for (let i = 0; i < scores.length; i++) mass[i] = total > 0 ? scores[i]! / total : 1 / scores.length;
  return { order: rankDescending(scores), mass };
}

/** RAPS parameters (zero penalty for APS), validated. */
function raps(
  method: ConformalMethod,
  params: { kReg?: number; lambda?: number },
): { kReg: number; lambda: number } {
  if (method !== 'raps') return { kReg: 0, lambda: 0 };
  const kReg = params.kReg ?? RAPS_DEFAULTS.kReg;
  const lambda = params.lambda ?? RAPS_DEFAULTS.lambda;
  if (!Number.isInteger(kReg) || kReg < 0 || !Number.isFinite(lambda) || lambda < 0) {
    throw new InvalidInputError('invalid_input', 'RAPS needs an integer kReg ≥ 0 and a finite lambda ≥ 0', {
      details: { kReg, lambda },
    });
  }
  return { kReg, lambda };
}

function assertAlpha(alpha: number): void {
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) {
    throw new InvalidInputError('invalid_input', 'alpha must be a number between 0 and 1 (exclusive)', {
      details: { alpha },
    });
  }
}
