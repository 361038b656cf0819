import { InvalidInputError, ModelMismatchError } from 'descry';
import {
  buildTfupCache,
  decodeTfupCache,
  encodeTfupCache,
  extendTfupCache,
  matrixFromRows,
  TFUP_DEFAULTS,
  type TfupCache,
  tfupScores,
  tfupShots,
} from 'descry/predictors';
import { describe, expect, it } from 'vitest';

const f32 = (...xs: number[]) => Float32Array.from(xs);
// Two classes along the axes of a 2-D space.
const weights = matrixFromRows([f32(1, 0), f32(0, 1)]);

/**
 * The unit feature (x, y) whose pseudo-label is P = (p, 1 − p) under W = I and scale s:
 * P_0 = σ(s · (x − y)), so x − y = ln(p / (1 − p)) / s = d and x² + y² = 1 give
 * x = (d + √(2 − d²)) / 2, y = x − d.
 */
function featureWithConfidence(p: number, s = 10): Float32Array {
  const d = Math.log(p / (1 - p)) / s;
  const x = (d + Math.sqrt(2 - d * d)) / 2;
  return f32(x, x - d);
}

describe('tfupShots', () => {
  it('clamps floor(0.3 N / C) to [9, 16] and never exceeds N', () => {
    expect(tfupShots(100, 2)).toBe(15); // floor(0.3 · 100 / 2) = 15
    expect(tfupShots(1000, 2)).toBe(16); // 150 → 16
    expect(tfupShots(20, 2)).toBe(9); // 3 → 9
    expect(tfupShots(5, 2)).toBe(5); // 0 → 9, but only 5 exist
    expect(tfupShots(20, 2, { ...TFUP_DEFAULTS, minShots: 2 })).toBe(3); // configurable floor
    expect(tfupShots(0, 2)).toBe(0);
  });
});

describe('Feature Cache Model', () => {
  it('keeps the K candidates with the lowest Σ KL, not the most confident, and may key one image twice', () => {
    // Pool P_0 = a 0.9, b 0.8, c 0.8, d 0.5; K = 2 (forced), so 2K = 4 = every image is a candidate.
    // Σ_l KL(P_j || P_l), Bernoulli KL(p||q) = p ln(p/q) + (1−p) ln((1−p)/(1−q)):
    //   a: 0 + 0.0367 + 0.0367 + 0.3681 = 0.4414
    //   b: 0.0444 + 0 + 0 + 0.1927 = 0.2371   (c the same)
    //   d: 0.5108 + 0.2231 + 0.2231 + 0 = 0.9571
    // → class 0 keeps b and c, although a is the most confident. Class 1 sees P_1 = 1 − P_0,
    // and the Bernoulli KL is unchanged by swapping the outcomes, so it keeps b and c too.
    const pool = matrixFromRows([0.9, 0.8, 0.8, 0.5].map((p) => featureWithConfidence(p)));
    const cache = buildTfupCache(pool, weights, { minShots: 2, maxShots: 2 });
    expect([...cache.keyLabels]).toEqual([0, 0, 1, 1]);
    expect([...cache.keyIndices]).toEqual([1, 2, 1, 2]);
  });

  it('with fewer images than the floor, takes them all', () => {
    const cache = buildTfupCache(matrixFromRows([f32(1, 0), f32(0, 1)]), weights);
    // K = min(9, 2) = 2 per class
    expect(cache.keyIndices.length).toBe(4);
  });

  it('an empty pool gives an empty cache and plain zero-shot logits', () => {
    const cache = buildTfupCache(matrixFromRows([], 2), weights);
    expect(cache.keyIndices.length).toBe(0);
    const { logit } = tfupScores(f32(1, 0), weights, cache);
    expect([...logit]).toEqual([100, 0]);
  });
});

describe('Multi-level Similarity prediction', () => {
  // Pool f0 = (1,0), f1 = (0,1); K = 1 (forced), 2K = 2 candidates per class. Both candidates of
  // class 0 score the same by symmetry (KL(P_f0||P_f1) = KL(P_f1||P_f0) = D), so the tie goes to the
  // more confident f0; likewise f1 for class 1. Keys: (f0, class 0), (f1, class 1).
  const cache = buildTfupCache(matrixFromRows([f32(1, 0), f32(0, 1)]), weights, { minShots: 1, maxShots: 1 });

  it('selects one key per class', () => {
    expect([...cache.keyIndices]).toEqual([0, 1]);
    expect([...cache.keyLabels]).toEqual([0, 1]);
  });

  it('rescales the KL row to [0, 2] and multiplies by the cosine', () => {
    // Image f = f0: KL to key 0 = 0, to key 1 = D > 0 → sim = (2·D/D, 0) = (2, 0).
    // cos(f, keys) = (1, 0) → A = (2, 0) → cache = (exp(−(1 − 2)), exp(−(1 − 0))) = (e, 1/e).
    // logits = 100 · (1, 0) + 0.3 · (e, 1/e)
    const { cosine, logit, score } = tfupScores(f32(1, 0), weights, cache);
    expect([...cosine]).toEqual([1, 0]);
    expect(logit[0]).toBeCloseTo(100 + 0.3 * Math.E, 4);
    expect(logit[1]).toBeCloseTo(0.3 / Math.E, 6);
    expect(score[0]! + score[1]!).toBeCloseTo(1, 6);
  });

  it('uses the given alpha, beta and logit scale', () => {
    // same A = (2, 0); beta 2 → cache (e², e⁻²); alpha 1, logit scale 10:
    // logits = (10/100) · (100 · cos + 1 · cache) = 10 · cos + 0.1 · cache
    const { logit } = tfupScores(f32(1, 0), weights, cache, { alpha: 1, beta: 2, logitScale: 10 });
    expect(logit[0]).toBeCloseTo(10 + 0.1 * Math.exp(2), 4);
    expect(logit[1]).toBeCloseTo(0.1 * Math.exp(-2), 6);
  });

  it('gives every key sim = 1 when the KL row is constant', () => {
    // Image at 45°: P_f = (1/2, 1/2), equally far from both keys → max KL = min KL → sim = 1.
    // cos = √½ to both keys → A = √½ → cache = exp(√½ − 1) for each class.
    const { logit } = tfupScores(f32(1, 1), weights, cache);
    const expected = 100 * Math.SQRT1_2 + 0.3 * Math.exp(Math.SQRT1_2 - 1);
    expect(logit[0]).toBeCloseTo(expected, 4);
    expect(logit[1]).toBeCloseTo(expected, 4);
  });

  it('a single image keyed under both classes also gives a constant row', () => {
    // N = 1: K = min(9, 1) = 1; the one image keys class 0 and class 1.
    const single = buildTfupCache(matrixFromRows([f32(1, 0)]), weights);
    expect([...single.keyIndices]).toEqual([0, 0]);
    expect([...single.keyLabels]).toEqual([0, 1]);
    // f = (0, 1): cos to the key 0 → A = 0 · 1 → cache = 1/e for both classes.
    const { logit } = tfupScores(f32(0, 1), weights, single);
    expect(logit[0]).toBeCloseTo(0.3 / Math.E, 5);
    expect(logit[1]).toBeCloseTo(100 + 0.3 / Math.E, 4);
  });
});

describe('growing and storing the cache', () => {
  const features = [0.9, 0.8, 0.8, 0.5].map((p) => featureWithConfidence(p));

  it('adding images reruns the selection on the whole pool', () => {
    const options = { minShots: 2, maxShots: 2 };
    const first = buildTfupCache(matrixFromRows(features.slice(0, 2)), weights, options);
    const grown = extendTfupCache(first, matrixFromRows(features.slice(2)), weights);
    const direct = buildTfupCache(matrixFromRows(features), weights, options);
    expect(grown.pool.rows).toBe(4);
    expect([...grown.keyIndices]).toEqual([...direct.keyIndices]);
    expect(first.pool.rows).toBe(2); // the input cache is untouched
  });

  it('drops the oldest images beyond the pool capacity', () => {
    const cache = buildTfupCache(matrixFromRows([f32(1, 0), f32(0, 1)]), weights, { poolCapacity: 2 });
    const grown = extendTfupCache(cache, matrixFromRows([f32(1, 1)]), weights);
    expect(grown.pool.rows).toBe(2);
    // kept: (0, 1), then the new (1, 1) normalised
    expect([...grown.pool.data.subarray(0, 2)]).toEqual([0, 1]);
    expect(grown.pool.data[2]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('round-trips through bytes and predicts the same', () => {
    const cache = buildTfupCache(matrixFromRows(features), weights, { minShots: 2, maxShots: 2 });
    const restored = decodeTfupCache(encodeTfupCache(cache));
    expect(restored).toEqual(cache);
    const image = f32(0.3, 0.7);
    expect([...tfupScores(image, weights, restored).logit]).toEqual([
      ...tfupScores(image, weights, cache).logit,
    ]);
  });

  it('rejects corrupt bytes with a typed error', () => {
    const bytes = encodeTfupCache(buildTfupCache(matrixFromRows(features), weights));
    expect(() => decodeTfupCache(bytes.subarray(0, bytes.length - 4))).toThrow(ModelMismatchError);
    expect(() => decodeTfupCache(new Uint8Array(3))).toThrow(ModelMismatchError);
    const wrongMagic = bytes.slice();
    wrongMagic[0] = 0;
    expect(() => decodeTfupCache(wrongMagic)).toThrow(ModelMismatchError);
  });

  it('refuses other class weights and bad features', () => {
    const cache: TfupCache = buildTfupCache(matrixFromRows(features), weights);
    const other = matrixFromRows([f32(0, 1), f32(1, 0)]);
    expect(() => tfupScores(f32(1, 0), other, cache)).toThrow(ModelMismatchError);
    expect(() => extendTfupCache(cache, matrixFromRows([f32(1, 0)]), other)).toThrow(ModelMismatchError);
    expect(() => extendTfupCache(cache, matrixFromRows([f32(0, 0)]), weights)).toThrow(InvalidInputError);
    expect(() => extendTfupCache(cache, matrixFromRows([f32(1, 0, 0)]), weights)).toThrow(InvalidInputError);
    expect(() => tfupScores(f32(Number.NaN, 1), weights, cache)).toThrow(InvalidInputError);
    expect(() => buildTfupCache(matrixFromRows(features), weights, { minShots: 0 })).toThrow(
      InvalidInputError,
    );
  });
});

describe('options', () => {
  it('treats an option given as undefined as the default', () => {
    const cache = buildTfupCache(matrixFromRows([f32(1, 0)]), weights, { minShots: undefined });
    expect(cache.options.minShots).toBe(9);
  });
});
