import { InvalidInputError } from 'descry';
import { matrixFromRows, matrixRow } from 'descry/predictors';
import { describe, expect, it } from 'vitest';
import { classWeightsFromTemplates, zeroShot, zeroShotBatch } from '../../sdk/predictors/zero-shot.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);
const at = (degrees: number) => f32(Math.cos((degrees * Math.PI) / 180), Math.sin((degrees * Math.PI) / 180));

describe('classWeightsFromTemplates', () => {
  it('normalises each template before averaging, then renormalises', () => {
    // (1,0) and (0,2) → unit (1,0), (0,1) → mean (1/2,1/2) → (√½, √½).
    // Averaging raw vectors first would give (1/2, 1) → (1/√5, 2/√5) instead.
    const w = classWeightsFromTemplates([[f32(1, 0), f32(0, 2)], [f32(0, 5)]]);
    expect(w.rows).toBe(2);
    expect(w.cols).toBe(2);
    expect(w.data[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(w.data[1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect([...matrixRow(w, 1)]).toEqual([0, 1]);
  });

  it('rejects no classes, a class without templates, mixed lengths and zero vectors', () => {
    expect(() => classWeightsFromTemplates([])).toThrow(InvalidInputError);
    expect(() => classWeightsFromTemplates([[f32(1, 0)], []])).toThrow(InvalidInputError);
    expect(() => classWeightsFromTemplates([[f32(1, 0)], [f32(1, 0, 0)]])).toThrow(InvalidInputError);
    expect(() => classWeightsFromTemplates([[f32(0, 0)]])).toThrow(InvalidInputError);
    expect(() => classWeightsFromTemplates([[f32(Number.NaN, 1)]])).toThrow(InvalidInputError);
  });
});

describe('zeroShot', () => {
  // Classes at 0°, 60° and 90°; the image at 0° with length 3 (normalised inside).
  // cosines: cos 0° = 1, cos 60° = 1/2, cos 90° = 0.
  const weights = matrixFromRows([at(0), at(60), at(90)]);
  const image = f32(3, 0);

  it('softmax over logit_scale · cosine', () => {
    // logit scale 2 → logits (2, 1, 0); softmax = (e², e, 1) / (e² + e + 1)
    const { cosine, logit, score } = zeroShot(image, weights, { logitScale: 2, activation: 'softmax' });
    expect(cosine[0]).toBeCloseTo(1, 6);
    expect(cosine[1]).toBeCloseTo(0.5, 6);
    expect(cosine[2]).toBeCloseTo(0, 6);
    expect(logit[1]).toBeCloseTo(1, 6);
    const z = Math.E ** 2 + Math.E + 1;
    expect(score[0]).toBeCloseTo(Math.E ** 2 / z, 6);
    expect(score[1]).toBeCloseTo(Math.E / z, 6);
    expect(score[2]).toBeCloseTo(1 / z, 6);
  });

  it('sigmoid with a bias scores classes independently (SigLIP)', () => {
    // logit = 4·cos − 2 → (2, 0, −2); σ = (1/(1+e⁻²), 1/2, 1/(1+e²))
    const { logit, score } = zeroShot(image, weights, {
      logitScale: 4,
      logitBias: -2,
      activation: 'sigmoid',
    });
    expect(logit[0]).toBeCloseTo(2, 6);
    expect(score[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    expect(score[1]).toBeCloseTo(0.5, 6);
    expect(score[2]).toBeCloseTo(1 / (1 + Math.exp(2)), 6);
  });

  it('batch rows equal single-image results', () => {
    const images = matrixFromRows([image, at(90)]);
    const batch = zeroShotBatch(images, weights, { logitScale: 2, activation: 'softmax' });
    const second = zeroShot(at(90), weights, { logitScale: 2, activation: 'softmax' });
    expect([...matrixRow(batch.score, 1)]).toEqual([...second.score]);
    // image at 90°: cosines (0, sin 60° = √3/2, 1)
    expect(batch.cosine.data[4]).toBeCloseTo(Math.sqrt(3) / 2, 6);
  });

  it('rejects a wrong-length, zero or NaN image and a bad logit scale', () => {
    const options = { logitScale: 100, activation: 'softmax' as const };
    expect(() => zeroShot(f32(1, 0, 0), weights, options)).toThrow(InvalidInputError);
    expect(() => zeroShot(f32(0, 0), weights, options)).toThrow(InvalidInputError);
    expect(() => zeroShot(f32(Number.NaN, 0), weights, options)).toThrow(InvalidInputError);
    expect(() => zeroShot(image, weights, { logitScale: Number.NaN, activation: 'softmax' })).toThrow(
      InvalidInputError,
    );
  });
});
