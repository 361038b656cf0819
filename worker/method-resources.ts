/**
 * What the description and adaptation methods need beyond a classifier: descriptors and FuDD
 * pair descriptions from the configured LLM, cached in KV by the SDK's description caches, and
 * the TFUP cache of unlabelled image features in R2, updated by compare-and-swap.
 */
import type {
  ClassificationMethod,
  ClassifyOptions,
  CompiledClassifier,
  DescriptorMap,
  Matrix,
} from 'descry';
import { isDescryError } from 'descry';
import type { DescriptionSource } from 'descry/llm';
import { allPairs, DescriptorCache, describeClasses, describePairs, PairDescriptionCache } from 'descry/llm';
import {
  buildTfupCache,
  decodeTfupCache,
  encodeTfupCache,
  extendTfupCache,
  type TfupCache,
} from 'descry/predictors';
import type { KeyValueStore } from 'descry/store';
import { updateWithRetry } from 'descry/store';
import { ProblemError } from './problem.js';

/** Store key of a classifier's TFUP cache. */
export function adaptationKey(id: string): string {
  return `tfup/${id}`;
}

/** Up to this many labels, /describe also asks for every pair's FuDD descriptions up front. */
export const MAX_EAGER_PAIR_LABELS = 8;
/** Time budget of FuDD's description requests inside one classify call. */
const FUDD_DEADLINE_MS = 10_000;

/** `cache` grown by `features`; a cache built for other class weights is started afresh. */
function extended(cache: TfupCache | null, features: Matrix, weights: Matrix): TfupCache {
  if (cache === null) return buildTfupCache(features, weights);
  try {
    return extendTfupCache(cache, features, weights);
  } catch (error) {
    if (isDescryError(error) && error.code === 'model_mismatch') return buildTfupCache(features, weights);
    throw error;
  }
}

/** Per-classifier state of the richer methods. */
export class MethodResources {
  readonly #adaptations: KeyValueStore;
  readonly #source: DescriptionSource | undefined;
  readonly #descriptors: DescriptorCache | undefined;
  readonly #pairs: PairDescriptionCache | undefined;

  constructor(stores: {
    descriptions: KeyValueStore;
    adaptations: KeyValueStore;
    source: DescriptionSource | undefined;
  }) {
    this.#adaptations = stores.adaptations;
    this.#source = stores.source;
    if (stores.source) {
      this.#descriptors = new DescriptorCache(stores.descriptions, stores.source.id);
      this.#pairs = new PairDescriptionCache(stores.descriptions, stores.source.id);
    }
  }

  /**
   * Extra classify options for `method`: the TFUP cache of classifier `id`, or the LLM and pair
   * cache for FuDD. Missing ones are left out and the SDK degrades, saying so in `degraded`.
   */
  async optionsFor(
    method: ClassificationMethod,
    id: string | undefined,
    signal?: AbortSignal,
  ): Promise<Pick<ClassifyOptions, 'tfup' | 'fudd'>> {
    if (method === 'tfup' && id !== undefined) {
      const entry = await this.#adaptations.get(adaptationKey(id));
      return entry === null ? {} : { tfup: { cache: decodeTfupCache(entry.value) } };
    }
    if (method === 'fudd' && this.#source) {
      return {
        fudd: {
          source: this.#source,
          ...(this.#pairs ? { cache: this.#pairs } : {}),
          deadlineMs: FUDD_DEADLINE_MS,
          ...(signal ? { signal } : {}),
        },
      };
    }
    return {};
  }

  /**
   * Append `features` (embeddings of unlabelled images) to classifier `id`'s TFUP cache. Safe
   * under concurrent calls: the write is conditional on the version read and retried on conflict.
   */
  async adapt(
    id: string,
    classifier: CompiledClassifier,
    features: Matrix,
  ): Promise<{ size: number; attempts: number }> {
    let size = 0;
    const outcome = await updateWithRetry(this.#adaptations, adaptationKey(id), (current) => {
      const next = extended(
        current === null ? null : decodeTfupCache(current.value),
        features,
        classifier.weights,
      );
      size = next.pool.rows;
      return encodeTfupCache(next);
    });
    return { size, attempts: outcome.attempts };
  }

  /**
   * Descriptors for every label of `classifier`, and FuDD descriptions for every label pair of a
   * small classifier, from the KV cache or the LLM. A failure is thrown: the caller asked for it.
   */
  async describe(
    classifier: CompiledClassifier,
    options: { refresh: boolean; signal?: AbortSignal },
  ): Promise<{ descriptors: DescriptorMap; pairs: number; cached: boolean }> {
    const source = this.#source;
    if (!source) throw new ProblemError(503, 'llm_not_configured', 'No LLM is configured: set DESCRY_LLM.');
    const labels = [...classifier.labels];
    const common = options.signal ? { signal: options.signal } : {};
    const useCache = !options.refresh;
    const classes = await describeClasses(source, labels, {
      ...common,
      ...(useCache && this.#descriptors ? { cache: this.#descriptors } : {}),
    });
    const firstFailure = classes.failed[0];
    if (firstFailure) throw firstFailure.error;
    let pairs = 0;
    let pairsFromCache = 0;
    if (labels.length <= MAX_EAGER_PAIR_LABELS) {
      const described = await describePairs(source, allPairs(labels), {
        ...common,
        ...(useCache && this.#pairs ? { cache: this.#pairs } : {}),
      });
      const pairFailure = described.failed[0];
      if (pairFailure) throw pairFailure.error;
      pairs = described.descriptions.length;
      pairsFromCache = described.fromCache;
      // A refresh still stores what it got, so FuDD at classify time finds it.
      if (!useCache && this.#pairs) await Promise.all(described.descriptions.map((d) => this.#pairs!.put(d)));
    }
    if (!useCache && this.#descriptors) {
      await Promise.all(
        Object.entries(classes.descriptors).map(([label, list]) => this.#descriptors!.put(label, list)),
      );
    }
    return {
      descriptors: classes.descriptors,
      pairs,
      cached: classes.fromCache === labels.length && pairsFromCache === pairs,
    };
  }

  /** Drop what was learnt for classifier `id`'s label set (descriptions are shared by label). */
  async forget(id: string): Promise<void> {
    await this.#adaptations.delete(adaptationKey(id));
  }
}
