import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../sdk/errors.js';
import { lokiPredict, textSquaredDistances } from '../../sdk/predictors/loki.js';
import { matrixFromRows } from '../../sdk/predictors/matrix.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);

describe('Loki', () => {
  // Classes "cat" at 0° and "dog" at 90°; an extra candidate "pet" at 45°, never scored.
  const classes = matrixFromRows([f32(1, 0), f32(0, 1)]);
  const candidates = matrixFromRows([f32(1, 0), f32(0, 1), f32(Math.SQRT1_2, Math.SQRT1_2)]);
  const d2 = textSquaredDistances(candidates, classes);

  it('derives d² = 2 − 2 cos from text embeddings', () => {
    // cat–cat 0, cat–dog 2, pet–cat = pet–dog = 2 − 2·√½ = 2 − √2
    expect(d2.data[0]).toBeCloseTo(0, 6);
    expect(d2.data[1]).toBeCloseTo(2, 6);
    expect(d2.data[4]).toBeCloseTo(2 - Math.SQRT2, 6);
    expect(d2.data[5]).toBeCloseTo(2 - Math.SQRT2, 6);
  });

  it('an undecided classifier predicts the label between the two', () => {
    // p = (1/2, 1/2): risk(cat) = ½·0 + ½·2 = 1, risk(dog) = 1, risk(pet) = 2 − √2 ≈ 0.586
    const { index, risk } = lokiPredict(f32(0.5, 0.5), d2);
    expect(index).toBe(2);
    expect(risk[0]).toBeCloseTo(1, 6);
    expect(risk[2]).toBeCloseTo(2 - Math.SQRT2, 6);
  });

  it('a confident classifier keeps its label', () => {
    // p = (0.9, 0.1): risk(cat) = 0.1·2 = 0.2 < risk(pet) = 2 − √2, risk(dog) = 1.8
    expect(lokiPredict(f32(0.9, 0.1), d2).index).toBe(0);
  });

  it('rejects mismatched shapes', () => {
    expect(() => lokiPredict(f32(1), d2)).toThrow(InvalidInputError);
    expect(() => lokiPredict(f32(), matrixFromRows([], 0))).toThrow(InvalidInputError);
  });
});
