/**
 * Image embeddings and a compiled classifier to ranked predictions by any method: the one place
 * that decides which method runs. It asks the method table (./table.ts) what the requested method
 * needs, falls back as the table says when something is missing, and says so in `degraded`; then
 * it runs a local predictor (./local.ts) or FuDD's orchestration (./follow-up.ts). It also decides
 * whether the results carry conformal sets: when the classifier's calibration was fitted for the
 * method that runs, with the same options ({@link calibrationFor}).
 */
import { describePredictor, samePredictor } from '../classifier/calibrate.js';
import type { CalibratedPredictor } from '../classifier/calibration.js';
import type { CompiledClassifier } from '../classifier/compiled.js';
import { InvalidInputError } from '../errors.js';
import type { ClassificationResult, Matrix } from '../types.js';
import { classifyWithFudd, type EmbedTexts, type FuddRequestOptions } from './follow-up.js';
import { type ModelScoring, type PredictOptions, predictorOf, rankLocal } from './local.js';
import { type MethodNeed, type ResolvedMethod, resolveMethod } from './table.js';

/** Everything a method may use beyond the classifier. */
export interface MethodOptions extends PredictOptions {
  /** FuDD's description source and budget. */
  fudd?: FuddRequestOptions;
  /** Cuts FuDD's LLM requests short. */
  signal?: AbortSignal;
}

/** What is at hand for the methods' needs. */
export function availableNeeds(classifier: CompiledClassifier, options: MethodOptions): Set<MethodNeed> {
  const has = new Set<MethodNeed>();
  if (classifier.hasDescriptors) has.add('descriptors');
  if (classifier.hasSubclasses) has.add('subclasses');
  if (options.fudd) has.add('pairSource');
  if (options.tfup) has.add('tfupCache');
  return has;
}

/** The method that will run for `options` on `classifier` (the requested one or its fallback). */
export function methodFor(classifier: CompiledClassifier, options: MethodOptions): ResolvedMethod {
  return resolveMethod(options.method ?? 'zeroshot', availableNeeds(classifier, options));
}

/**
 * The predictor whose conformal sets `classify(…, classifier, options)` returns: the one the
 * classifier's calibration was fitted for, when that is the method that will run with the same
 * options; otherwise undefined (no sets). Cheap and free of I/O, so callers check it before
 * embedding any image.
 *
 * @throws InvalidInputError when `options.maxSetSize` asks for sets that cannot be built: the
 *   classifier has no calibration, or it was fitted for another method or other method options
 *   (the guarantee holds only for the scores it was fitted on), or `maxSetSize` is not a positive
 *   integer.
 */
export function calibrationFor(
  classifier: CompiledClassifier,
  options: MethodOptions,
): CalibratedPredictor | undefined {
  const asked = options.maxSetSize;
  if (asked !== undefined && !(Number.isSafeInteger(asked) && asked >= 1)) {
    throw new InvalidInputError('invalid_input', 'maxSetSize must be a positive integer', {
      details: { maxSetSize: asked },
    });
  }
  const calibration = classifier.calibration;
  const { used } = methodFor(classifier, options);
  const predictor = predictorOf(used, options);
  if (calibration && predictor && samePredictor(calibration.predictor, predictor)) return predictor;
  if (asked === undefined) return undefined;
  if (!calibration) {
    throw new InvalidInputError(
      'invalid_input',
      'maxSetSize needs a calibrated classifier: calibrate it first (Descry.calibrate)',
    );
  }
  throw new InvalidInputError(
    'invalid_input',
    `the classifier is calibrated for ${describePredictor(calibration.predictor)} scores, but ${
      predictor ? describePredictor(predictor) : used
    } would score these images: classify with the calibrated method and options, or calibrate for these`,
    { details: { calibrated: calibration.predictor, method: used } },
  );
}

/** Rank every row of `images` with `classifier` by the requested method, or its fallback. */
export async function predict(
  images: Matrix,
  classifier: CompiledClassifier,
  scoring: ModelScoring,
  options: MethodOptions,
  embedTexts: EmbedTexts,
): Promise<ClassificationResult[]> {
  const requested = options.method ?? 'zeroshot';
  const { used, reason } = methodFor(classifier, options);
  const conformal = calibrationFor(classifier, options);
  if (used === 'fudd') {
    const fudd =
      options.signal && !options.fudd!.signal ? { ...options.fudd!, signal: options.signal } : options.fudd!;
    return classifyWithFudd(images, classifier, scoring, { ...options, fudd }, embedTexts);
  }
  const results = rankLocal(images, classifier, scoring, used, options, conformal);
  if (reason === undefined) return results;
  return results.map((result) => ({ ...result, degraded: { requested, used, reason } }));
}
