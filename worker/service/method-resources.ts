/**
 * What the description and adaptation methods need beyond a classifier: descriptors, subclasses
 * and FuDD pair descriptions from the configured LLM, cached in KV by the SDK's description
 * caches, and the TFUP cache of unlabelled image features in R2 (adaptations.ts).
 */
import type { ClassificationMethod, ClassifyOptions, CompiledClassifier, DescriptorMap } from 'descry';
import type { DescriptionSource } from 'descry/llm';
import {
  allPairs,
  type DescribedSubclasses,
  DescriptorCache,
  describeClasses,
  describePairs,
  describeSubclasses,
  PairDescriptionCache,
  SubclassCache,
} from 'descry/llm';
import type { KeyValueStore } from 'descry/store';
import { ProblemError } from '../http/problem.js';
import { Adaptations } from './adaptations.js';

/** Up to this many labels, /describe also asks for every pair's FuDD descriptions up front. */
export const MAX_EAGER_PAIR_LABELS = 8;
/** Time budget of FuDD's description requests inside one classify call. */
const FUDD_DEADLINE_MS = 10_000;

/** Per-classifier state of the richer methods. */
export class MethodResources {
  /** The TFUP caches of stored classifiers. */
  readonly adaptations: Adaptations;
  readonly #source: DescriptionSource | undefined;
  readonly #descriptors: DescriptorCache | undefined;
  readonly #pairs: PairDescriptionCache | undefined;
  readonly #subclasses: SubclassCache | undefined;

  constructor(stores: {
    descriptions: KeyValueStore;
    adaptations: KeyValueStore;
    source: DescriptionSource | undefined;
  }) {
    this.adaptations = new Adaptations(stores.adaptations);
    this.#source = stores.source;
    if (stores.source) {
      this.#descriptors = new DescriptorCache(stores.descriptions, stores.source.id);
      this.#pairs = new PairDescriptionCache(stores.descriptions, stores.source.id);
      this.#subclasses = new SubclassCache(stores.descriptions, stores.source.id);
    }
  }

  /**
   * Extra classify options for `method`: the TFUP cache of a `stored` classifier, or the LLM and
   * pair cache for FuDD. Missing ones (and a cache built for another version of the classifier)
   * are left out and the SDK degrades as its method table says, saying so in `degraded`.
   */
  async optionsFor(
    method: ClassificationMethod,
    stored: { id: string; classifier: CompiledClassifier } | undefined,
    signal?: AbortSignal,
  ): Promise<Pick<ClassifyOptions, 'tfup' | 'fudd'>> {
    if (method === 'tfup' && stored !== undefined) {
      const cache = await this.adaptations.cacheFor(stored.id, stored.classifier);
      return cache === undefined ? {} : { tfup: { cache } };
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

  /**
   * Subclasses (method 'subclasses') for every label of `classifier`, from the KV cache or the
   * LLM, made into a map compiling accepts (names two labels claim dropped). A label the LLM fails
   * for is thrown: the caller asked for it.
   */
  async subclasses(
    classifier: CompiledClassifier,
    options: { refresh: boolean; signal?: AbortSignal },
  ): Promise<DescribedSubclasses & { cached: boolean }> {
    const source = this.#source;
    if (!source) throw new ProblemError(503, 'llm_not_configured', 'No LLM is configured: set DESCRY_LLM.');
    const labels = [...classifier.labels];
    const cache = this.#subclasses;
    // A refresh reads nothing from the cache but still stores what it gets, for the next describe.
    const refreshing = cache && {
      get: async () => null,
      put: (label: string, list: string[], context?: string) => cache.put(label, list, context),
    };
    const described = await describeSubclasses(source, labels, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(cache ? { cache: options.refresh ? refreshing! : cache } : {}),
    });
    const firstFailure = described.failed[0];
    if (firstFailure) throw firstFailure.error;
    return { ...described, cached: described.fromCache === labels.length };
  }
}
