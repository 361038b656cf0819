/**
 * Calibrating a compiled classifier: split conformal prediction (sdk/predictors/conformal.ts) fitted
 * on the scores one predictor gives labelled image embeddings, and the prediction sets it yields.
 *
 * The guarantee — the true label is in the set at least 1 − α of the time — holds for images
 * exchangeable with the calibration images (same source, same kind of pictures), for the
 * predictor and the embeddings it was fitted on. The calibration records both; a classifier
 * refuses a calibration of other embeddings (CompiledClassifier.assertCalibration), and
 * {@link labelSet} refuses scores of another predictor.
 */
import { InvalidInputError } from '../errors.js';
import { createMatrix, matrixRow } from '../math/matrix.js';
import { assertMatrix } from '../math/shape.js';
import type { ClassScores } from '../predictors/class-scores.js';
import {
  assertCalibrationSize,
  type ConfidenceMeasure,
  type ConformalOptions,
  confidence,
  fitConformal,
  fitNoneOfThese,
  type PredictionSetOptions,
  predictionSet,
} from '../predictors/conformal.js';
import {
  classifyByDescription,
  type DescriptionWeights,
  descriptionWeights,
} from '../predictors/descriptions.js';
import { type ZeroShotOptions, zeroShot } from '../predictors/zero-shot.js';
import type { Evidence, LabelSet, Matrix } from '../types.js';
import type { CalibratedPredictor, ClassifierCalibration } from './calibration.js';
import type { CompiledClassifier } from './compiled.js';
import { assertSubclasses, subclassScorer } from './subclasses.js';

/** Options of {@link calibrate}. */
export interface CalibrateOptions extends ConformalOptions {
  /** How the model turns cosines into scores: its logit scale, bias and activation. */
  scoring: ZeroShotOptions;
  /** Whose scores to calibrate. Default `{ method: 'zeroshot' }`. */
  predictor?: CalibratedPredictor;
  /**
   * Also fit a "none of these" threshold on this confidence of the same images (predictors/
   * conformal.ts `fitNoneOfThese`): at most α of in-set images are then rejected. The top cosine
   * separates best in bench/results/methods-accuracy.md. Default: none.
   */
  noneOfThese?: ConfidenceMeasure;
}

/**
 * Fits a conformal calibration of `classifier` on labelled image embeddings.
 *
 * @param embeddings - one image embedding per row (any length; normalised by the predictor).
 * @param trueLabels - the label of each row, one of `classifier.labels`.
 * @throws InvalidInputError (`calibration_too_small`) when there are fewer images than α needs
 *   (α = 0.05: 19), saying how many; InvalidInputError for a label not in the classifier, rows
 *   and labels of different counts, a predictor the classifier has no embeddings for, or bad
 *   options.
 */
export function calibrate(
  classifier: CompiledClassifier,
  embeddings: Matrix,
  trueLabels: readonly string[],
  options: CalibrateOptions,
): ClassifierCalibration {
  assertMatrix(embeddings, 'image embeddings');
  if (trueLabels.length !== embeddings.rows) {
    throw new InvalidInputError(
      'invalid_input',
      `${embeddings.rows} image embeddings but ${trueLabels.length} true labels`,
    );
  }
  const index = new Map(classifier.labels.map((label, c) => [label, c]));
  const truth = trueLabels.map((label, i) => {
    const c = index.get(label);
    if (c === undefined) {
      throw new InvalidInputError(
        'invalid_input',
        `image ${i} is labelled "${label}", which is not one of the labels`,
        {
          details: { image: i, label },
        },
      );
    }
    return c;
  });
  // Refuse a set too small for α before scoring anything.
  assertCalibrationSize(embeddings.rows, options.alpha);
  const predictor = options.predictor ?? { method: 'zeroshot' };
  const score = calibratedScorer(classifier, predictor, options.scoring);
  const scores = createMatrix(embeddings.rows, classifier.labels.length);
  const confidences: number[] = [];
  for (let i = 0; i < embeddings.rows; i++) {
    const s = score(matrixRow(embeddings, i));
    scores.data.set(s.score, i * scores.cols);
    if (options.noneOfThese) confidences.push(confidence(s, options.noneOfThese));
  }
  const fitted = fitConformal(scores, truth, options);
  return {
    ...fitted,
    predictor,
    weightsFingerprint: classifier.calibrationFingerprint(predictor),
    ...(options.noneOfThese
      ? { noneOfThese: fitNoneOfThese(confidences, options.alpha, options.noneOfThese) }
      : {}),
    created: new Date().toISOString(),
  };
}

/**
 * The scoring function a calibration of `predictor` describes, on `classifier`: the one
 * sdk/methods/local.ts runs for that method with those options (it calls this), so calibration
 * and classification score alike by construction.
 *
 * @throws InvalidInputError when the classifier lacks the subclasses or descriptors it needs.
 */
export function calibratedScorer(
  classifier: CompiledClassifier,
  predictor: CalibratedPredictor,
  scoring: ZeroShotOptions,
): (image: Float32Array) => ClassScores & { evidence?: Evidence[][] } {
  switch (predictor?.method) {
    case 'zeroshot':
      return (image) => zeroShot(image, classifier.weights, scoring);
    case 'subclasses':
      assertSubclasses(classifier);
      return subclassScorer(classifier, scoring, predictor);
    case 'descriptions': {
      if (!classifier.hasDescriptors) {
        throw new InvalidInputError('invalid_input', 'this classifier was compiled without descriptors');
      }
      const weights = describedWeights(classifier);
      return (image) =>
        classifyByDescription(image, weights, { ...scoring, aggregation: predictor.aggregation });
    }
    default:
      throw new InvalidInputError('invalid_input', `predictor must be zeroshot, subclasses or descriptions`, {
        details: { predictor },
      });
  }
}

/** A conformal set with label names (sdk/types.ts). */
export type { LabelSet };

/**
 * The conformal set of one image from its scores under the classifier's calibration, abstaining
 * when the set is empty, when the calibration has a "none of these" threshold the image's
 * confidence falls below, or when the set is larger than `maxSetSize`.
 *
 * @param scores - the image's scores by `predictor` (its `score` builds the set, its cosines feed
 *   "none of these").
 * @param predictor - the predictor that produced `scores`; it must be the calibrated one.
 * @throws InvalidInputError when the classifier has no calibration, `predictor` is not the one it
 *   was fitted for, or `scores` has the wrong length.
 */
export function labelSet(
  classifier: CompiledClassifier,
  scores: ClassScores,
  predictor: CalibratedPredictor,
  options: PredictionSetOptions = {},
): LabelSet {
  const calibration = classifier.calibration;
  if (!calibration) {
    throw new InvalidInputError('invalid_input', 'this classifier has no calibration: calibrate it first');
  }
  if (!samePredictor(calibration.predictor, predictor)) {
    throw new InvalidInputError(
      'invalid_input',
      `the calibration holds for ${describePredictor(calibration.predictor)} scores, not ${describePredictor(predictor)}`,
      { details: { calibrated: calibration.predictor, used: predictor } },
    );
  }
  if (scores.score.length !== classifier.labels.length || scores.cosine.length !== classifier.labels.length) {
    throw new InvalidInputError(
      'invalid_input',
      `${scores.score.length} scores for ${classifier.labels.length} labels`,
    );
  }
  const set = predictionSet(scores.score, calibration, options);
  const labels = set.labels.map((c) => classifier.labels[c]!);
  const none = calibration.noneOfThese;
  if (set.reason !== 'empty' && none && confidence(scores, none.measure) < none.below) {
    return { labels, abstain: true, reason: 'none_of_these', alpha: calibration.alpha };
  }
  return {
    labels,
    abstain: set.abstain,
    ...(set.reason ? { reason: set.reason } : {}),
    alpha: calibration.alpha,
  };
}

/** Whether two predictor descriptions produce the same scores. */
export function samePredictor(a: CalibratedPredictor, b: CalibratedPredictor): boolean {
  if (a.method !== b.method) return false;
  if (a.method === 'subclasses' && b.method === 'subclasses') {
    return a.reweight === b.reweight && a.includeLabel === b.includeLabel;
  }
  if (a.method === 'descriptions' && b.method === 'descriptions') return a.aggregation === b.aggregation;
  return true;
}

/** A predictor in words, for messages: "subclasses (reweight true, includeLabel false)". */
export function describePredictor(p: CalibratedPredictor): string {
  if (p.method === 'subclasses') return `subclasses (reweight ${p.reweight}, includeLabel ${p.includeLabel})`;
  if (p.method === 'descriptions') return `descriptions (aggregation ${p.aggregation})`;
  return p.method;
}

const describedCache = new WeakMap<CompiledClassifier, DescriptionWeights>();

/** Stacked descriptor embeddings with the class-name row as fallback (as predict.ts builds them). */
function describedWeights(classifier: CompiledClassifier): DescriptionWeights {
  let weights = describedCache.get(classifier);
  if (!weights) {
    weights = descriptionWeights(
      classifier.labels.map((_, c) => ({
        descriptors: classifier.descriptors[c]?.descriptors ?? [],
        embeddings: classifier.descriptors[c]?.embeddings ?? createMatrix(0, classifier.weights.cols),
        fallback: matrixRow(classifier.weights, c),
      })),
    );
    describedCache.set(classifier, weights);
  }
  return weights;
}
