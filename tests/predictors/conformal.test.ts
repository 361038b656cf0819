/**
 * Split conformal prediction. The quantile is checked against exact integer arithmetic and known
 * order statistics, so an off-by-one in k = ⌈(n+1)(1−α)⌉ fails; coverage is checked over many
 * random calibration/test splits, where its mean must land in [1 − α, 1 − α + 1/(n+1)].
 */

import { InvalidInputError } from 'descry';
import {
  calibrationSizeNeeded,
  confidence,
  conformalQuantile,
  conformalRank,
  createMatrix,
  fitConformal,
  fitNoneOfThese,
  matrixRow,
  nonconformity,
  noneOfThese,
  predictionSet,
  softmax,
} from 'descry/predictors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(xs: readonly T[], rand: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('the conformal quantile', () => {
  it('k = ⌈(n+1)(1−α)⌉ exactly, for α = p/q against integer arithmetic', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: 1000 })
          .chain((q) => fc.tuple(fc.integer({ min: 1, max: q - 1 }), fc.constant(q))),
        fc.integer({ min: 0, max: 5000 }),
        ([p, q], n) => {
          const exact = Math.floor(((n + 1) * (q - p) + q - 1) / q);
          expect(conformalRank(n, p / q)).toBe(exact);
        },
      ),
    );
    // The binary-float trap: 20 · 0.95 is 19 exactly, 1 − 0.05 is not 0.95 exactly.
    expect(conformalRank(19, 0.05)).toBe(19);
    expect(conformalRank(99, 0.1)).toBe(90);
    expect(conformalRank(104, 0.1)).toBe(95);
  });

  it('q̂ is the k-th smallest score: 0.90 of the scores 0.01 … 0.99 at α = 0.1', () => {
    const scores = shuffled(
      Array.from({ length: 99 }, (_, i) => (i + 1) / 100),
      prng(1),
    );
    // k = ⌈100 · 0.9⌉ = 90: the 90th smallest. Off by one would give 0.89 or 0.91.
    expect(conformalQuantile(scores, 0.1)).toEqual({ threshold: 0.9, rank: 90 });
    // n = 104: k = ⌈105 · 0.9⌉ = ⌈94.5⌉ = 95.
    const more = shuffled(
      Array.from({ length: 104 }, (_, i) => i + 1),
      prng(2),
    );
    expect(conformalQuantile(more, 0.1)).toEqual({ threshold: 95, rank: 95 });
    // n = 19 at α = 0.05: k = 19, the largest score.
    expect(conformalQuantile([...Array(19).keys()].reverse(), 0.05).threshold).toBe(18);
  });

  it('at least k scores are ≤ q̂ and fewer than k are below it (any scores, ties included)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        (raw, alpha) => {
          const scores = raw.map((x) => x / 20);
          fc.pre(conformalRank(scores.length, alpha) <= scores.length);
          const { threshold, rank } = conformalQuantile(scores, alpha);
          expect(scores.filter((s) => s <= threshold).length).toBeGreaterThanOrEqual(rank);
          expect(scores.filter((s) => s < threshold).length).toBeLessThan(rank);
        },
      ),
    );
  });

  it('refuses a calibration set smaller than α allows, saying how many are needed', () => {
    expect(calibrationSizeNeeded(0.05)).toBe(19);
    expect(calibrationSizeNeeded(0.1)).toBe(9);
    expect(calibrationSizeNeeded(0.3)).toBe(3);
    expect(calibrationSizeNeeded(0.5)).toBe(1);
    expect(() => conformalQuantile(Array(19).fill(0.5), 0.05)).not.toThrow();
    const call = () => conformalQuantile(Array(18).fill(0.5), 0.05);
    expect(call).toThrow(InvalidInputError);
    expect(call).toThrow(
      expect.objectContaining({ code: 'calibration_too_small', details: { alpha: 0.05, n: 18, needed: 19 } }),
    );
    expect(call).toThrow(/at least 19 labelled calibration images, got 18/);
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 0.999, noNaN: true }), (alpha) => {
        const needed = calibrationSizeNeeded(alpha);
        expect(conformalRank(needed, alpha)).toBeLessThanOrEqual(needed);
        if (needed > 1) expect(conformalRank(needed - 1, alpha)).toBeGreaterThan(needed - 1);
      }),
    );
  });

  it.each([0, 1, -0.1, 1.5, Number.NaN])('rejects α = %s', (alpha) => {
    expect(() => conformalQuantile([0.1, 0.2], alpha)).toThrow(
      expect.objectContaining({ code: 'invalid_input' }),
    );
  });
});

describe('nonconformity scores', () => {
  const p = [0.2, 0.5, 0.3];

  it('LAC: 1 − p_y', () => {
    expect(nonconformity(p, 0, 'lac')).toBeCloseTo(0.8, 12);
  });

  it('APS: the mass ranked above y (the top label scores 0)', () => {
    expect(nonconformity(p, 1, 'aps')).toBe(0);
    expect(nonconformity(p, 2, 'aps')).toBeCloseTo(0.5, 12);
    expect(nonconformity(p, 0, 'aps')).toBeCloseTo(0.8, 12);
  });

  it('RAPS: APS + λ · max(0, rank − k_reg)', () => {
    expect(nonconformity(p, 1, 'raps', { kReg: 1, lambda: 0.1 })).toBe(0);
    expect(nonconformity(p, 2, 'raps', { kReg: 1, lambda: 0.1 })).toBeCloseTo(0.6, 12);
    expect(nonconformity(p, 0, 'raps', { kReg: 1, lambda: 0.1 })).toBeCloseTo(1.0, 12);
    expect(nonconformity(p, 1, 'raps', { kReg: 0, lambda: 0.1 })).toBeCloseTo(0.1, 12);
  });

  it('APS normalises scores that do not sum to 1 (sigmoid)', () => {
    expect(nonconformity([0.4, 1, 0.6], 2, 'aps')).toBeCloseTo(0.5, 12);
  });
});

describe('fitting and prediction sets', () => {
  // Four calibration images over three classes; true-label probabilities 0.7, 0.6, 0.2, 0.9.
  const probs = createMatrix(
    4,
    3,
    Float32Array.from([0.7, 0.2, 0.1, 0.3, 0.6, 0.1, 0.5, 0.3, 0.2, 0.05, 0.05, 0.9]),
  );
  const truth = [0, 1, 2, 2];

  it('LAC: q̂ from 1 − p_true, sets {y : p_y ≥ 1 − q̂}, empty sets abstain', () => {
    // α = 0.25 with n = 4: k = ⌈5 · 0.75⌉ = 4, q̂ = the largest of 0.3, 0.4, 0.8, 0.1 = 0.8.
    const fitted = fitConformal(probs, truth, { alpha: 0.25 });
    expect(fitted.rank).toBe(4);
    expect(fitted.threshold).toBeCloseTo(0.8, 6);
    expect(predictionSet(Float32Array.from([0.5, 0.3, 0.2]), fitted).labels).toEqual([0, 1, 2]);
    expect(predictionSet(Float32Array.from([0.1, 0.1, 0.8]), fitted).labels).toEqual([2]);
    // α = 0.4: k = ⌈5 · 0.6⌉ = 3, q̂ = 0.4: only labels with p ≥ 0.6.
    const tight = fitConformal(probs, truth, { alpha: 0.4 });
    expect(tight.threshold).toBeCloseTo(0.4, 6);
    expect(predictionSet(Float32Array.from([0.45, 0.35, 0.2]), tight)).toEqual({
      labels: [],
      abstain: true,
      reason: 'empty',
    });
    expect(predictionSet(Float32Array.from([0.5, 0.3, 0.2]), fitted, { maxSetSize: 2 })).toEqual({
      labels: [0, 1, 2],
      abstain: true,
      reason: 'too_large',
    });
    expect(predictionSet(Float32Array.from([0.1, 0.1, 0.8]), fitted, { maxSetSize: 2 }).abstain).toBe(false);
  });

  it('APS: sets are the labels whose mass ranked above them stays ≤ q̂, never empty', () => {
    // APS scores of the true labels: 0, 0, 0.8 (0.5 + 0.3 above label 2), 0; α = 0.25 → k = 4 → q̂ = 0.8.
    const fitted = fitConformal(probs, truth, { alpha: 0.25, method: 'aps' });
    expect(fitted.threshold).toBeCloseTo(0.8, 6);
    expect(predictionSet(Float32Array.from([0.5, 0.3, 0.2]), fitted).labels).toEqual([0, 1, 2]);
    expect(predictionSet(Float32Array.from([0.6, 0.3, 0.1]), fitted).labels).toEqual([0, 1]);
    // α = 0.4 → k = 3 → q̂ = 0: the top label alone, however confident the image.
    const tight = fitConformal(probs, truth, { alpha: 0.4, method: 'aps' });
    expect(tight.threshold).toBe(0);
    expect(predictionSet(Float32Array.from([0.95, 0.03, 0.02]), tight)).toEqual({
      labels: [0],
      abstain: false,
    });
    expect(predictionSet(Float32Array.from([0.4, 0.35, 0.25]), tight).labels).toEqual([0]);
  });

  it('RAPS keeps its parameters, defaults k_reg = 1, λ = 0.001', () => {
    const fitted = fitConformal(probs, truth, { alpha: 0.4, method: 'raps' });
    expect(fitted).toMatchObject({ method: 'raps', kReg: 1, lambda: 0.001 });
  });

  it('smaller α never gives smaller sets (nested sets)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.constantFrom('lac', 'aps', 'raps'), (seed, method) => {
        const rand = prng(seed);
        const data = synthetic(60, 5, rand);
        const test = Float32Array.from(softmax(Float32Array.from({ length: 5 }, () => 4 * rand())));
        const loose = predictionSet(test, fitConformal(data.probs, data.truth, { alpha: 0.3, method }));
        const strict = predictionSet(test, fitConformal(data.probs, data.truth, { alpha: 0.1, method }));
        expect(strict.labels.length).toBeGreaterThanOrEqual(loose.labels.length);
        for (const c of loose.labels) expect(strict.labels).toContain(c);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects labels out of range, a count mismatch and unknown methods', () => {
    expect(() => fitConformal(probs, [0, 1, 2, 3], { alpha: 0.25 })).toThrow(/true label 3 of image 3/);
    expect(() => fitConformal(probs, [0, 1], { alpha: 0.25 })).toThrow(/4 calibration score rows but 2/);
    expect(() => fitConformal(probs, truth, { alpha: 0.25, method: 'thr' as never })).toThrow(/method/);
    expect(() => fitConformal(probs, truth, { alpha: 0.25, method: 'raps', kReg: 1.5 })).toThrow(/kReg/);
    expect(() =>
      predictionSet(Float32Array.from([1, 0, 0]), fitConformal(probs, truth, { alpha: 0.25 }), {
        maxSetSize: 0,
      }),
    ).toThrow(/maxSetSize/);
  });
});

/** n images over C classes whose labels are drawn from their own softmax probabilities. */
function synthetic(n: number, classes: number, rand: () => number) {
  const probs = createMatrix(n, classes);
  const truth: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = matrixRow(probs, i);
    softmax(
      Float32Array.from({ length: classes }, () => 5 * rand()),
      row,
    );
    let u = rand();
    let y = classes - 1;
    for (let c = 0; c < classes; c++) {
      u -= row[c]!;
      if (u < 0) {
        y = c;
        break;
      }
    }
    truth.push(y);
  }
  return { probs, truth };
}

describe('coverage over random calibration/test splits', () => {
  // n = 104, α = 0.1: k = 95, and over random splits of exchangeable data the mean coverage is
  // exactly k/(n+1) = 0.90476, inside [0.9, 0.9 + 1/105 = 0.90952] with a margin of about ten
  // standard errors of the mean over 4,000 splits. k = 94 (0.89524) or k = 96 (0.91429) falls
  // outside. Each split takes q̂ from its calibration part and counts the test images whose
  // true-label score is ≤ q̂; the first splits check that this is what fitConformal and
  // predictionSet do.
  const n = 104;
  const alpha = 0.1;
  const pool = synthetic(1000, 10, prng(7));

  it.each(['lac', 'aps', 'raps'] as const)('%s: mean coverage in [1 − α, 1 − α + 1/(n+1)]', (method) => {
    const rand = prng(11);
    const trueScores = pool.truth.map((y, i) =>
      nonconformity(matrixRow(pool.probs, i), y, method, { kReg: 1, lambda: 0.001 }),
    );
    const order = Array.from({ length: pool.probs.rows }, (_, i) => i);
    const splits = 4000;
    let covered = 0;
    let tested = 0;
    for (let s = 0; s < splits; s++) {
      const perm = shuffled(order, rand);
      const cal = perm.slice(0, n);
      const { threshold, rank } = conformalQuantile(
        cal.map((i) => trueScores[i]!),
        alpha,
      );
      expect(rank).toBe(95);
      if (s < 10) {
        const calProbs = createMatrix(n, pool.probs.cols);
        cal.forEach((i, r) => {
          calProbs.data.set(matrixRow(pool.probs, i), r * pool.probs.cols);
        });
        const fitted = fitConformal(
          calProbs,
          cal.map((i) => pool.truth[i]!),
          { alpha, method },
        );
        expect(fitted.threshold).toBe(threshold);
        for (const i of perm.slice(n)) {
          const inSet = predictionSet(matrixRow(pool.probs, i), fitted).labels.includes(pool.truth[i]!);
          expect(inSet).toBe(trueScores[i]! <= threshold);
        }
      }
      for (const i of perm.slice(n)) {
        if (trueScores[i]! <= threshold) covered++;
        tested++;
      }
    }
    const coverage = covered / tested;
    expect(coverage).toBeGreaterThanOrEqual(1 - alpha);
    expect(coverage).toBeLessThanOrEqual(1 - alpha + 1 / (n + 1));
  });

  it('a set holds exactly the labels whose nonconformity is ≤ q̂', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 12 }),
        fc.double({ min: -0.1, max: 1.5, noNaN: true }),
        fc.constantFrom('lac', 'aps', 'raps'),
        (raw, threshold, method) => {
          const scores = Float32Array.from(raw);
          const fitted = { alpha: 0.1, method, threshold, n: 100, rank: 91, kReg: 1, lambda: 0.05 };
          const expected = [...scores.keys()].filter(
            (y) => nonconformity(scores, y, method, fitted) <= threshold,
          );
          const { labels } = predictionSet(scores, fitted);
          expect([...labels].sort((a, b) => a - b)).toEqual(expected);
          // best first
          for (let i = 1; i < labels.length; i++)
            expect(scores[labels[i - 1]!]).toBeGreaterThanOrEqual(scores[labels[i]!]!);
        },
      ),
    );
  });
});

describe('the uncalibrated "none of these"', () => {
  const scores = {
    cosine: Float32Array.from([0.31, 0.29, 0.1]),
    logit: Float32Array.from([0, 0, 0]),
    score: Float32Array.from([0.5, 0.4, 0.1]),
  };

  it('measures the top cosine (default), the top score or the top-two margin', () => {
    expect(confidence(scores)).toBeCloseTo(0.31, 6);
    expect(confidence(scores, 'score')).toBeCloseTo(0.5, 6);
    expect(confidence(scores, 'margin')).toBeCloseTo(0.1, 6);
    expect(noneOfThese(scores, { below: 0.32 })).toBe(true);
    expect(noneOfThese(scores, { below: 0.6, measure: 'score' })).toBe(true);
    expect(noneOfThese(scores, { below: 0.05, measure: 'margin' })).toBe(false);
    expect(() => noneOfThese(scores, { below: Number.NaN })).toThrow(InvalidInputError);
  });
});

describe('"none of these" fitted on in-set confidences', () => {
  it('rejects below the ⌈(n+1)(1−α)⌉-th largest negated confidence', () => {
    // 19 confidences 0.01 … 0.19, α = 0.1: k = ⌈20 · 0.9⌉ = 18 → q̂ = 18th smallest of −c = −0.02.
    const fitted = fitNoneOfThese(
      Array.from({ length: 19 }, (_, i) => (i + 1) / 100),
      0.1,
    );
    expect(fitted).toEqual({ measure: 'cosine', below: 0.02, alpha: 0.1, n: 19, rank: 18 });
    expect(() => fitNoneOfThese([0.1, 0.2], 0.05)).toThrow(
      expect.objectContaining({ code: 'calibration_too_small' }),
    );
  });

  it('rejects at most α of exchangeable in-set images, over random splits', () => {
    // n = 104, α = 0.1: P(reject) = 1 − k/(n+1) = 10/105 = 0.0952, in [α − 1/(n+1), α].
    const rand = prng(5);
    const pool = Array.from({ length: 1000 }, () => rand() + rand());
    const order = pool.map((_, i) => i);
    let rejected = 0;
    let tested = 0;
    for (let s = 0; s < 4000; s++) {
      const perm = shuffled(order, rand);
      const { below } = fitNoneOfThese(
        perm.slice(0, 104).map((i) => pool[i]!),
        0.1,
      );
      for (const i of perm.slice(104)) {
        if (pool[i]! < below) rejected++;
        tested++;
      }
    }
    expect(rejected / tested).toBeLessThanOrEqual(0.1);
    expect(rejected / tested).toBeGreaterThanOrEqual(0.1 - 1 / 105);
  });
});
