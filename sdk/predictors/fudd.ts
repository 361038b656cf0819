/**
 * FuDD: Follow-up Differential Descriptions — Esfandiarpoor & Bach, ICLR 2024,
 * "Follow-Up Differential Descriptions: Language Models Resolve Ambiguities for Image
 * Classification".
 *
 *   first pass  s[c] = normalize(img) · normalize(emb("A photo of a {c}."))
 *   A           = top-k(s), k = 10
 *   texts_c     = c's side of the differential descriptions of every pair {c, b}, b ∈ A
 *                 (deduplicated; a pair without descriptions gives "a photo of a {c}.")
 *   E[c]        = normalize(mean(normalize(emb(texts_c))))      (classWeightsFromTemplates)
 *   final       score[c] = normalize(img) · E[c] for c ∈ A; classes outside A keep their
 *               first-pass order, below every class of A.
 *
 * Orientation of a pair (the easy bug): descriptions of the pair {a, b} are stored once,
 * under `pairKey(a, b)`, with `prompt_pair[0]` describing the FIRST class of
 * `orderedPair(a, b)` (UTF-16 code-unit order, JavaScript's default string order) and
 * `prompt_pair[1]` the second — whichever order the pair was asked in.
 *
 * Additions of ours (the paper defines a ranking, not probabilities): with a softmax model
 * (CLIP) `score` is the softmax of `logitScale · score` over A, and 0 outside A; with a sigmoid
 * model (SigLIP) every class keeps an independent `sigmoid(logitScale · score + logitBias)`, of
 * its follow-up score in A and of its first-pass score outside A (the order still puts A first).
 * A set A of one class has no pairs, so that class gets the fallback text alone.
 */
import { InvalidInputError } from '../errors.js';
import { matVec } from '../math/matrix.js';
import { assertFinite, assertMatrix, unitEmbedding } from '../math/shape.js';
import { softmax } from '../math/vector.js';
import { applyTemplate, FUDD_FALLBACK_TEMPLATE } from '../text/templates.js';
import type { Matrix } from '../types.js';
import { activate, type ClassScores, logitsOf, type Scoring } from './class-scores.js';
import { topKIndices } from './ranking.js';

/** One attribute that tells two classes apart, with one sentence per class. */
export interface AttributePair {
  /** What differs, e.g. "ear shape". */
  attr_type: string;
  /** `[sentence for orderedPair(a, b)[0], sentence for orderedPair(a, b)[1]]`. */
  prompt_pair: [string, string];
}

/** The differential attributes of one unordered class pair (an LLM's `PairDescription` without its classes). */
export interface PairAttributes {
  attributes: AttributePair[];
}

/** Where pair attributes come from: a map or record keyed by {@link pairKey}, or a lookup function. */
export type PairAttributeSource =
  | ReadonlyMap<string, PairAttributes>
  | Readonly<Record<string, PairAttributes>>
  | ((key: string) => PairAttributes | undefined);

/** Options of {@link fuddScores}: the model's scoring (logit scale default 100, CLIP's). */
export interface FuddOptions extends Partial<Scoring> {}

/** {@link ClassScores} over all classes plus the final ranking. */
export interface FuddScores extends ClassScores {
  /** Class indices best first: A by `img · E`, then the rest in first-pass order. */
  order: number[];
}

/**
 * The ambiguous set A: indices of the `k` best first-pass scores, best first, ties to the
 * lower index. `k` is clamped to `[1, scores.length]`.
 *
 * @throws InvalidInputError for no scores or a non-finite `k`.
 */
export function ambiguousSet(scores: ArrayLike<number>, k = 10): number[] {
  if (scores.length === 0) throw new InvalidInputError('labels_empty', 'no classes to choose from');
  assertFinite(k, 'k');
  return topKIndices(scores, Math.max(1, Math.min(scores.length, Math.floor(k))));
}

/** The pair in canonical order: the order of `prompt_pair` and of {@link pairKey}. */
export function orderedPair(a: string, b: string): [string, string] {
  return a <= b ? [a, b] : [b, a];
}

/**
 * Cache key of an unordered pair: `pairKey(a, b) === pairKey(b, a)`. It is the JSON of the
 * ordered pair, so names containing commas or quotes cannot collide
 * (`pairKey('a,b', 'c') !== pairKey('a', 'b,c')`).
 */
export function pairKey(a: string, b: string): string {
  return JSON.stringify(orderedPair(a, b));
}

/**
 * The texts of each class of A: its side of every pair it forms with another class of A,
 * deduplicated in first-seen order. Result i belongs to `classNames[i]`.
 *
 * @param fallbackTemplate - text for a class of a pair without descriptions (default
 *   "a photo of a {}.").
 * @throws InvalidInputError for repeated class names or a malformed pair entry.
 */
export function collectClassTexts(
  classNames: readonly string[],
  source: PairAttributeSource,
  fallbackTemplate: string = FUDD_FALLBACK_TEMPLATE,
): string[][] {
  if (new Set(classNames).size !== classNames.length) {
    throw new InvalidInputError('invalid_input', 'the ambiguous set repeats a class name');
  }
  const lookup = toLookup(source);
  const texts = classNames.map(() => new Set<string>());
  const fallback = (i: number) => texts[i]!.add(applyTemplate(fallbackTemplate, classNames[i]!));
  if (classNames.length === 1) fallback(0);
  for (let i = 0; i < classNames.length; i++) {
    for (let j = i + 1; j < classNames.length; j++) {
      const a = classNames[i]!;
      const b = classNames[j]!;
      const key = pairKey(a, b);
      const descriptions = lookup(key);
      if (descriptions === undefined || descriptions === null) {
        fallback(i);
        fallback(j);
        continue;
      }
      assertPairAttributes(descriptions, key);
      if (descriptions.attributes.length === 0) {
        fallback(i);
        fallback(j);
        continue;
      }
      // prompt_pair[0] describes the first class of the canonical order, not `a`.
      const [firstIndex, secondIndex] = orderedPair(a, b)[0] === a ? [i, j] : [j, i];
      for (const { prompt_pair } of descriptions.attributes) {
        texts[firstIndex]!.add(prompt_pair[0]);
        texts[secondIndex]!.add(prompt_pair[1]);
      }
    }
  }
  return texts.map((set) => [...set]);
}

/**
 * The final FuDD ranking.
 *
 * @param image - the image embedding (normalised here).
 * @param ambiguous - A, class indices best first (from {@link ambiguousSet}).
 * @param embeddings - E: row i is the unit-length class embedding of `ambiguous[i]`, built
 *   from its texts with `classWeightsFromTemplates`.
 * @param firstPass - first-pass cosines of all classes.
 * @throws InvalidInputError when A is empty, repeats or leaves the class range, or when
 *   shapes disagree.
 */
export function fuddScores(
  image: Float32Array,
  ambiguous: readonly number[],
  embeddings: Matrix,
  firstPass: ArrayLike<number>,
  options: FuddOptions = {},
): FuddScores {
  const classCount = firstPass.length;
  const logitScale = options.logitScale ?? 100;
  assertFinite(logitScale, 'logitScale');
  assertMatrix(embeddings, 'FuDD class embeddings');
  assertAmbiguousSet(ambiguous, classCount);
  if (embeddings.rows !== ambiguous.length) {
    throw new InvalidInputError(
      'invalid_input',
      `${ambiguous.length} ambiguous classes but ${embeddings.rows} class embeddings`,
    );
  }
  const unit = unitEmbedding(image, embeddings.cols, 'image embedding');
  const followUp = matVec(embeddings, unit);

  const scoring = { ...options, logitScale };
  const cosine = Float32Array.from(firstPass);
  ambiguous.forEach((c, i) => {
    cosine[c] = followUp[i]!;
  });
  const logit = logitsOf(cosine, scoring);
  let score: Float32Array;
  if ((options.activation ?? 'softmax') === 'sigmoid') {
    score = activate(logit, 'sigmoid');
  } else {
    score = new Float32Array(classCount);
    softmax(Float32Array.from(ambiguous, (c) => logit[c]!)).forEach((p, i) => {
      score[ambiguous[i]!] = p;
    });
  }

  // topKIndices breaks ties by position, so equal follow-up scores keep first-pass order.
  const inA = new Uint8Array(classCount);
  for (const c of ambiguous) inA[c] = 1;
  const order = topKIndices(followUp, ambiguous.length).map((i) => ambiguous[i]!);
  for (const c of topKIndices(firstPass, classCount)) if (!inA[c]) order.push(c);
  return { cosine, logit, score, order };
}

function toLookup(source: PairAttributeSource): (key: string) => PairAttributes | undefined {
  if (typeof source === 'function') return source;
  if (source instanceof Map) return (key) => source.get(key);
  const record = source as Readonly<Record<string, PairAttributes>>;
  // Own keys only: a class pair must never resolve to Object.prototype members.
  return (key) => (Object.hasOwn(record, key) ? record[key] : undefined);
}

function assertPairAttributes(value: PairAttributes, key: string): void {
  const valid =
    typeof value === 'object' &&
    Array.isArray(value.attributes) &&
    value.attributes.every(
      (attribute) =>
        Array.isArray(attribute?.prompt_pair) &&
        attribute.prompt_pair.length === 2 &&
        typeof attribute.prompt_pair[0] === 'string' &&
        typeof attribute.prompt_pair[1] === 'string',
    );
  if (!valid) {
    throw new InvalidInputError('invalid_input', `pair descriptions for ${key} are malformed`, {
      details: { key },
    });
  }
}

function assertAmbiguousSet(ambiguous: readonly number[], classCount: number): void {
  if (ambiguous.length === 0) throw new InvalidInputError('invalid_input', 'the ambiguous set is empty');
  const seen = new Set<number>();
  for (const c of ambiguous) {
    if (!Number.isInteger(c) || c < 0 || c >= classCount || seen.has(c)) {
      throw new InvalidInputError(
        'invalid_input',
        `ambiguous set entry ${c} is repeated or not a class index`,
        {
          details: { classCount },
        },
      );
    }
    seen.add(c);
  }
}
