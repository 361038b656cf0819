/**
 * Image embeddings and a compiled classifier to ranked predictions by any method: the one place
 * that decides which method runs. It asks the method table (./table.ts) what the requested method
 * needs, falls back as the table says when something is missing, and says so in `degraded`; then
 * it runs a local predictor (./local.ts) or FuDD's orchestration (./follow-up.ts).
 */
import type { CompiledClassifier } from '../classifier/compiled.js';
import type { ClassificationResult, Matrix } from '../types.js';
import { classifyWithFudd, type EmbedTexts, type FuddRequestOptions } from './follow-up.js';
import { type ModelScoring, type PredictOptions, rankLocal } from './local.js';
import { type MethodNeed, resolveMethod } from './table.js';

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
  if (options.fudd) has.add('pairSource');
  if (options.tfup) has.add('tfupCache');
  return has;
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
  const { used, reason } = resolveMethod(requested, availableNeeds(classifier, options));
  if (used === 'fudd') {
    const fudd =
      options.signal && !options.fudd!.signal ? { ...options.fudd!, signal: options.signal } : options.fudd!;
    return classifyWithFudd(images, classifier, scoring, { ...options, fudd }, embedTexts);
  }
  const results = rankLocal(images, classifier, scoring, used, options);
  if (reason === undefined) return results;
  return results.map((result) => ({ ...result, degraded: { requested, used, reason } }));
}
