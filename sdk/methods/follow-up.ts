/**
 * FuDD at request time (Esfandiarpoor & Bach, ICLR 2024): the I/O around the pure predictor in
 * sdk/predictors/fudd.ts. First pass with the classifier's template weights; the ambiguous top-k
 * of every image; differential descriptions of all their pairs, fetched once for the whole batch
 * (cache first, then the LLM, within a deadline); embeddings of each class's side of its pairs;
 * re-ranking within the set.
 *
 * Deviation: the paper's first pass uses the single prompt "A photo of a {c}."; a compiled
 * classifier's own template ensemble is used here, so FuDD's first pass is never worse than the
 * zero-shot answer the same classifier gives.
 *
 * Degradation: pairs without descriptions fall back to "a photo of a {class}." as in the paper;
 * when no pair could be described at all (LLM down or too slow), the whole answer falls back as
 * the method table says (./table.ts: to classification by description, or to zero-shot), and
 * says so in `degraded`.
 */
import type { CompiledClassifier } from '../classifier/compiled.js';
import { describePairs } from '../llm/describe-pairs.js';
import type { PairDescriptionCache } from '../llm/description-cache.js';
import type { DescriptionSource } from '../llm/description-source.js';
import { matrixFromRows, matrixRow } from '../math/matrix.js';
import { dot } from '../math/vector.js';
import {
  ambiguousSet,
  collectClassTexts,
  fuddScores,
  orderedPair,
  type PairAttributes,
  pairKey,
} from '../predictors/fudd.js';
import { classWeightsFromTemplates, zeroShot } from '../predictors/zero-shot.js';
import type { ClassificationResult, Degradation, Matrix } from '../types.js';
import { type ModelScoring, type PredictOptions, rank, rankLocal } from './local.js';
import { type MethodNeed, resolveMethod } from './table.js';

/** What FuDD needs beyond a classifier. */
export interface FuddRequestOptions {
  /** Where pair descriptions come from (an LLM, Workers AI, or static JSON). */
  source: DescriptionSource;
  /** Pair cache read first and filled with new answers. */
  cache?: PairDescriptionCache;
  /** Size of the ambiguous set (default 10, the paper's; clamped to the label count). */
  k?: number;
  /** Time budget for all description requests of one call (default 15 s). */
  deadlineMs?: number;
  /** LLM calls in flight at once (default 4). */
  concurrency?: number;
  /**
   * How a class's sentences make its score: 'mean' (the paper's: the normalised mean of their
   * embeddings) or 'max' (the sentence closest to the image; for classes whose sentences are
   * alternatives, such as member names of a category, rather than attributes of one thing).
   */
  pooling?: 'mean' | 'max';
  signal?: AbortSignal;
}

/** Embeds texts on demand (the prompt cache of the loaded model). */
export type EmbedTexts = (texts: readonly string[]) => Promise<Matrix>;

/**
 * The class pairs FuDD would ask about for these images: all pairs within each image's ambiguous
 * top-k, deduplicated, in canonical order. Precomputing exactly these is the production path.
 */
export function confusedPairs(
  images: Matrix,
  classifier: CompiledClassifier,
  scoring: ModelScoring,
  k = 10,
): Array<[string, string]> {
  const pairs = new Map<string, [string, string]>();
  for (let i = 0; i < images.rows; i++) {
    const set = ambiguousSet(zeroShot(matrixRow(images, i), classifier.weights, scoring).cosine, k);
    for (const [a, b] of pairsWithin(set, classifier.labels)) pairs.set(pairKey(a, b), orderedPair(a, b));
  }
  return [...pairs.values()];
}

/** Every unordered pair of labels within one ambiguous set. */
function* pairsWithin(set: readonly number[], labels: readonly string[]): Generator<[string, string]> {
  for (let x = 0; x < set.length; x++) {
    for (let y = x + 1; y < set.length; y++) yield [labels[set[x]!]!, labels[set[y]!]!];
  }
}

/** Classify a batch of image embeddings with FuDD. */
export async function classifyWithFudd(
  images: Matrix,
  classifier: CompiledClassifier,
  scoring: ModelScoring,
  options: PredictOptions & { fudd: FuddRequestOptions },
  embedTexts: EmbedTexts,
): Promise<ClassificationResult[]> {
  const { fudd } = options;
  const labels = classifier.labels;
  const firstPass = Array.from({ length: images.rows }, (_, i) =>
    zeroShot(matrixRow(images, i), classifier.weights, scoring),
  );
  const sets = firstPass.map((scores) => ambiguousSet(scores.cosine, fudd.k ?? 10));

  const pairs = sets.flatMap((set) => [...pairsWithin(set, labels)]);
  const described = await describePairs(fudd.source, pairs, {
    deadlineMs: fudd.deadlineMs ?? 15_000,
    ...(fudd.cache ? { cache: fudd.cache } : {}),
    ...(fudd.concurrency === undefined ? {} : { concurrency: fudd.concurrency }),
    ...(fudd.signal ? { signal: fudd.signal } : {}),
  });

  const totalPairs = described.descriptions.length + described.failed.length;
  if (totalPairs > 0 && described.descriptions.length === 0) {
    // The source answered nothing: as if there were none, with the reason it gave.
    const has = new Set<MethodNeed>(classifier.hasDescriptors ? ['descriptors'] : []);
    const reason = `no class pair could be described (${described.failed[0]?.error.message ?? 'no answer'})`;
    const { used } = resolveMethod('fudd', has, reason);
    if (used === 'fudd') throw new Error('FuDD cannot fall back to itself');
    return rankLocal(images, classifier, scoring, used, options).map((result) => ({
      ...result,
      degraded: { requested: 'fudd', used, reason },
    }));
  }

  const byKey = new Map<string, PairAttributes>();
  for (const d of described.descriptions) byKey.set(pairKey(d.classes[0], d.classes[1]), d);
  const classTexts = sets.map((set) =>
    collectClassTexts(
      set.map((c) => labels[c]!),
      byKey,
    ),
  );
  const uniqueTexts = [...new Set(classTexts.flat(2))];
  const embedded = await embedTexts(uniqueTexts);
  const rowOf = new Map(uniqueTexts.map((text, i) => [text, i]));

  const degraded: Degradation | undefined =
    described.failed.length > 0
      ? {
          requested: 'fudd',
          used: 'fudd',
          reason: `${described.failed.length} of ${totalPairs} class pairs had no descriptions (${described.failed[0]!.error.message}); their classes used "a photo of a {class}."`,
        }
      : undefined;

  return sets.map((set, i) => {
    const image = matrixRow(images, i);
    const perClass = classTexts[i]!.map((texts) =>
      texts.map((text) => matrixRow(embedded, rowOf.get(text)!)),
    );
    const weights =
      fudd.pooling === 'max'
        ? // The sentence closest to the image stands for its class: img · E[c] = max over the sentences.
          matrixFromRows(
            perClass.map((rows) => rows.reduce((a, b) => (dot(b, image) > dot(a, image) ? b : a))),
          )
        : classWeightsFromTemplates(perClass);
    const scores = fuddScores(image, set, weights, firstPass[i]!.cosine, scoring);
    const predictions = rank(labels, scores, options.topK);
    return degraded ? { predictions, degraded } : { predictions };
  });
}
