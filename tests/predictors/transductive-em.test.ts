import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../sdk/errors.js';
import { digamma, inverseDigamma, logGamma, trigamma } from '../../sdk/predictors/gamma-functions.js';
import { matrixFromRows, matrixRow } from '../../sdk/predictors/matrix.js';
import { dirichletEm, dirichletLogNormaliser, fitDirichlet } from '../../sdk/predictors/transductive-em.js';

const EULER_GAMMA = 0.5772156649015329;
const rowsOf = (rows: number[][]) => matrixFromRows(rows.map((r) => Float32Array.from(r)));

describe('gamma functions', () => {
  it('match exact values', () => {
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12); // Γ(1/2) = √π
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12); // Γ(5) = 4!
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(digamma(1)).toBeCloseTo(-EULER_GAMMA, 12); // ψ(1) = −γ
    expect(digamma(0.5)).toBeCloseTo(-EULER_GAMMA - 2 * Math.LN2, 12); // ψ(1/2) = −γ − 2 ln 2
    expect(digamma(10)).toBeCloseTo(7129 / 2520 - EULER_GAMMA, 12); // ψ(n) = H_{n−1} − γ
    expect(trigamma(1)).toBeCloseTo(Math.PI ** 2 / 6, 12); // ψ'(1) = π²/6
    expect(trigamma(0.5)).toBeCloseTo(Math.PI ** 2 / 2, 12); // ψ'(1/2) = π²/2
  });

  it('inverseDigamma inverts digamma on small and large arguments', () => {
    for (const x of [0.01, 0.3, 1, 7.5, 300]) expect(inverseDigamma(digamma(x))).toBeCloseTo(x, 8);
  });
});

describe('Dirichlet fit', () => {
  it('recovers α from E[log z] = ψ(α_j) − ψ(Σα)', () => {
    // α* = (2, 3, 5), Σ = 10: ψ(2) = 1 − γ, ψ(3) = 3/2 − γ, ψ(5) = 25/12 − γ, ψ(10) = 7129/2520 − γ;
    // γ cancels: E[log z] = (1, 3/2, 25/12) − 7129/2520.
    const h9 = 7129 / 2520;
    const alpha = fitDirichlet([1 - h9, 1.5 - h9, 25 / 12 - h9], new Float32Array([1, 1, 1]));
    expect(alpha[0]).toBeCloseTo(2, 4);
    expect(alpha[1]).toBeCloseTo(3, 4);
    expect(alpha[2]).toBeCloseTo(5, 4);
  });

  it('log normaliser: ln Γ(Σα) − Σ ln Γ(α_j)', () => {
    // Dir(1,1,1): Γ(3) / 1 = 2.  Dir(2,1): Γ(3) / (Γ(2)Γ(1)) = 2.  Dir(2,3): Γ(5)/(Γ(2)Γ(3)) = 24/2 = 12.
    expect(dirichletLogNormaliser([1, 1, 1])).toBeCloseTo(Math.LN2, 12);
    expect(dirichletLogNormaliser([2, 1])).toBeCloseTo(Math.LN2, 12);
    expect(dirichletLogNormaliser([2, 3])).toBeCloseTo(Math.log(12), 12);
  });

  it('stops a one-point cluster from collapsing to infinite precision', () => {
    // E[log z] of a single point z = (0.2, 0.8): the likelihood grows without bound.
    const alpha = fitDirichlet([Math.log(0.2), Math.log(0.8)], new Float32Array([1, 1]));
    expect(Number.isFinite(alpha[0]!)).toBe(true);
    expect(alpha[0]! + alpha[1]!).toBeLessThanOrEqual(1e5 * (1 + 1e-6));
  });
});

describe('dirichletEm', () => {
  it('with no iterations is zero-shot: u = softmax(30 · cos)', () => {
    // cos (0.3, 0.2): z = (1, e⁻³) / (1 + e⁻³)
    const result = dirichletEm(
      rowsOf([
        [0.3, 0.2],
        [0.1, 0.2],
      ]),
      { iterations: 0 },
    );
    expect(result.assignments.data[0]).toBeCloseTo(1 / (1 + Math.exp(-3)), 6);
    expect([...result.labels]).toEqual([0, 1]);
  });

  it('moves an ambiguous image to the class whose images share its probability pattern', () => {
    // Class 0 images are often confused with class 1 (cos_1 ≈ 0.27 next to cos_0 ≈ 0.31);
    // class 1 images are clean (cos_1 ≈ 0.31, others 0.20). The last image scores class 1
    // first by a hair (0.29 vs 0.28), but a z that spread out is improbable under the tight
    // class-1 Dirichlet and typical of class 0's: the batch relabels it 0.
    const batch = rowsOf([
      [0.3, 0.26, 0.28],
      [0.31, 0.25, 0.29],
      [0.3, 0.27, 0.28],
      [0.32, 0.26, 0.29],
      [0.31, 0.28, 0.29],
      [0.3, 0.28, 0.29],
      [0.2, 0.31, 0.2],
      [0.21, 0.3, 0.2],
      [0.2, 0.32, 0.21],
      [0.21, 0.31, 0.2],
      [0.2, 0.3, 0.21],
      [0.28, 0.29, 0.28],
    ]);
    expect(dirichletEm(batch, { iterations: 0 }).labels[11]).toBe(1);
    const result = dirichletEm(batch);
    expect([...result.labels]).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0]);
    const total = result.proportions.reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 5);
    for (let i = 0; i < batch.rows; i++) {
      expect(matrixRow(result.assignments, i).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });

  it('rejects an empty batch and non-finite input', () => {
    expect(() => dirichletEm(matrixFromRows([], 3))).toThrow(InvalidInputError);
    expect(() => dirichletEm(rowsOf([[Number.NaN, 0]]))).toThrow(InvalidInputError);
    expect(() => dirichletEm(rowsOf([[0, 0]]), { iterations: -1 })).toThrow(InvalidInputError);
  });
});
