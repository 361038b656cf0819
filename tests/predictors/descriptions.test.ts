import { InvalidInputError } from 'descry';
import { createMatrix, matrixFromRows } from 'descry/predictors';
import { describe, expect, it } from 'vitest';
import { classifyByDescription, descriptionWeights } from '../../sdk/predictors/descriptions.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);
const at = (degrees: number, length = 1) =>
  f32(length * Math.cos((degrees * Math.PI) / 180), length * Math.sin((degrees * Math.PI) / 180));

// Image at 0°. Class 0 "cat": descriptors at 90° (listed first) and 0° (length 3, normalised
// inside) → cosines 0 and 1. Class 1 "rock": no descriptors, class-name fallback at 60° →
// cosine 1/2. Class 2 "dog": one descriptor at 180° → cosine −1.
const weights = descriptionWeights([
  { descriptors: ['whiskers', 'fur'], embeddings: matrixFromRows([at(90), at(0, 3)]) },
  { descriptors: [], embeddings: createMatrix(0, 2), fallback: at(60, 2) },
  { descriptors: ['a wagging tail'], embeddings: matrixFromRows([at(180)]) },
]);
const image = at(0);

describe('classifyByDescription', () => {
  it('mean: cat (0+1)/2 = 1/2, rock falls back to 1/2, dog −1; softmax of 10·score', () => {
    const { cosine, logit, score } = classifyByDescription(image, weights, { logitScale: 10 });
    expect(cosine[0]).toBeCloseTo(0.5, 6);
    expect(cosine[1]).toBeCloseTo(0.5, 6);
    expect(cosine[2]).toBeCloseTo(-1, 6);
    expect(logit[0]).toBeCloseTo(5, 5);
    // logits (5, 5, −10): softmax = (e⁵, e⁵, e⁻¹⁰) / (2e⁵ + e⁻¹⁰)
    const z = 2 * Math.exp(5) + Math.exp(-10);
    expect(score[0]).toBeCloseTo(Math.exp(5) / z, 6);
    expect(score[2]).toBeCloseTo(Math.exp(-10) / z, 9);
  });

  it('max: cat takes its best descriptor, 1', () => {
    const { cosine, logit } = classifyByDescription(image, weights, { logitScale: 10, aggregation: 'max' });
    expect(cosine[0]).toBeCloseTo(1, 6);
    expect(logit[0]).toBeCloseTo(10, 5);
    expect(cosine[1]).toBeCloseTo(0.5, 6);
  });

  it('sum: logit from 0 + 1 = 1 while the reported cosine stays the mean', () => {
    const { cosine, logit } = classifyByDescription(image, weights, { logitScale: 10, aggregation: 'sum' });
    expect(logit[0]).toBeCloseTo(10, 5);
    expect(cosine[0]).toBeCloseTo(0.5, 6);
    expect(logit[2]).toBeCloseTo(-10, 5);
  });

  it('explains with descriptor cosines sorted descending; a fallback class has no evidence', () => {
    const { evidence } = classifyByDescription(image, weights, { logitScale: 10 });
    expect(evidence[0]!.map((e) => e.descriptor)).toEqual(['fur', 'whiskers']);
    expect(evidence[0]![0]!.cosine).toBeCloseTo(1, 6);
    expect(evidence[0]![1]!.cosine).toBeCloseTo(0, 6);
    expect(evidence[1]).toEqual([]);
    expect(evidence[2]!.map((e) => e.descriptor)).toEqual(['a wagging tail']);
  });

  it('keeps descriptor order for tied cosines', () => {
    const tied = descriptionWeights([
      { descriptors: ['x', 'y'], embeddings: matrixFromRows([at(45), at(-45)]) },
    ]);
    const { evidence } = classifyByDescription(image, tied, { logitScale: 1 });
    expect(evidence[0]!.map((e) => e.descriptor)).toEqual(['x', 'y']);
  });

  it('rejects bad input with InvalidInputError', () => {
    expect(() => descriptionWeights([])).toThrow(InvalidInputError);
    // descriptors and rows disagree
    expect(() =>
      descriptionWeights([{ descriptors: ['a', 'b'], embeddings: matrixFromRows([at(0)]) }]),
    ).toThrow(InvalidInputError);
    // empty class without fallback
    expect(() => descriptionWeights([{ descriptors: [], embeddings: createMatrix(0, 2) }])).toThrow(
      InvalidInputError,
    );
    // a zero descriptor embedding
    expect(() =>
      descriptionWeights([{ descriptors: ['a'], embeddings: matrixFromRows([f32(0, 0)]) }]),
    ).toThrow(InvalidInputError);
    expect(() => classifyByDescription(f32(1, 0, 0), weights, { logitScale: 10 })).toThrow(InvalidInputError);
    expect(() =>
      // @ts-expect-error: an aggregation outside the type, as untyped callers could pass
      classifyByDescription(image, weights, { logitScale: 10, aggregation: 'median' }),
    ).toThrow(InvalidInputError);
  });
});
