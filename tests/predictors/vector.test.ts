import { describe, expect, it } from 'vitest';
import {
  dot,
  klDivergence,
  klDivergenceFromLogProbs,
  l2Normalize,
  logSoftmax,
  sigmoid,
  softmax,
} from '../../sdk/math/vector.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);

describe('vector kernels', () => {
  it('dot covers the unrolled body and the tail', () => {
    // 1·5 + 2·4 + 3·3 + 4·2 + 5·1 = 5 + 8 + 9 + 8 + 5 = 35
    expect(dot(f32(1, 2, 3, 4, 5), f32(5, 4, 3, 2, 1))).toBe(35);
  });

  it('l2Normalize scales a 3-4-5 vector to (0.6, 0.8) and leaves the zero vector at zero', () => {
    const unit = l2Normalize(f32(3, 4));
    expect(unit[0]).toBeCloseTo(0.6, 6);
    expect(unit[1]).toBeCloseTo(0.8, 6);
    expect([...l2Normalize(f32(0, 0))]).toEqual([0, 0]);
  });

  it('softmax of (ln 1, ln 2, ln 3) is (1/6, 2/6, 3/6), even shifted by 1000', () => {
    const x = [Math.log(1), Math.log(2), Math.log(3)];
    const shifted = x.map((v) => v + 1000);
    for (const input of [x, shifted]) {
      const p = softmax(input);
      expect(p[0]).toBeCloseTo(1 / 6, 6);
      expect(p[1]).toBeCloseTo(2 / 6, 6);
      expect(p[2]).toBeCloseTo(3 / 6, 6);
    }
  });

  it('softmax applies its scale before exponentiating', () => {
    // scale 2 on (0, ln 2) → (0, ln 4) → (1/5, 4/5)
    const p = softmax([0, Math.log(2)], undefined, 2);
    expect(p[0]).toBeCloseTo(0.2, 6);
    expect(p[1]).toBeCloseTo(0.8, 6);
  });

  it('logSoftmax is the log of softmax and stays finite for huge gaps', () => {
    const lp = logSoftmax([0, Math.log(3)]);
    // softmax = (1/4, 3/4)
    expect(lp[0]).toBeCloseTo(Math.log(0.25), 6);
    expect(lp[1]).toBeCloseTo(Math.log(0.75), 6);
    const extreme = logSoftmax([0, 2000]);
    expect(extreme[0]).toBeCloseTo(-2000, 3);
    expect(Number.isFinite(extreme[0]!)).toBe(true);
  });

  it('sigmoid is 1/2 at 0, symmetric, and saturates without NaN', () => {
    expect(sigmoid(0)).toBe(0.5);
    // σ(ln 3) = 3/4, σ(-ln 3) = 1/4
    expect(sigmoid(Math.log(3))).toBeCloseTo(0.75, 12);
    expect(sigmoid(-Math.log(3))).toBeCloseTo(0.25, 12);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
  });

  it('klDivergence matches a hand computation and handles zeros', () => {
    // KL((1/2,1/2) || (1/4,3/4)) = 1/2 ln 2 + 1/2 ln(2/3)
    const expected = 0.5 * Math.log(2) + 0.5 * Math.log(2 / 3);
    expect(klDivergence([0.5, 0.5], [0.25, 0.75])).toBeCloseTo(expected, 12);
    expect(klDivergence([0.5, 0.5], [0.5, 0.5])).toBe(0);
    // p_i = 0 terms vanish; q_i = 0 under p_i > 0 is infinite
    expect(klDivergence([1, 0], [0.5, 0.5])).toBeCloseTo(Math.log(2), 12);
    expect(klDivergence([0.5, 0.5], [1, 0])).toBe(Number.POSITIVE_INFINITY);
  });

  it('klDivergenceFromLogProbs agrees with the probability form', () => {
    const p = [0.5, 0.5];
    const q = [0.25, 0.75];
    expect(klDivergenceFromLogProbs(p.map(Math.log), q.map(Math.log))).toBeCloseTo(klDivergence(p, q), 12);
  });
});
