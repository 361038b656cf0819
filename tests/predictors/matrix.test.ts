import type { Matrix } from 'descry';
import { InvalidInputError } from 'descry';
import {
  createMatrix,
  matMulTransposed,
  matrixFromRows,
  matrixRow,
  matVec,
  normalizeRows,
} from 'descry/predictors';
import { describe, expect, it } from 'vitest';
import { topKIndices } from '../../sdk/predictors/ranking.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);

describe('matrix', () => {
  const m = matrixFromRows([f32(1, 2, 3), f32(4, 5, 6)]);

  it('stacks rows row-major and views rows without copying', () => {
    expect(m.rows).toBe(2);
    expect(m.cols).toBe(3);
    expect([...m.data]).toEqual([1, 2, 3, 4, 5, 6]);
    matrixRow(m, 1)[0] = 4; // same memory
    expect(m.data[3]).toBe(4);
  });

  it('matVec: (1,2,3)·(1,0,-1) = -2 and (4,5,6)·(1,0,-1) = -2; an odd column count hits the tail', () => {
    expect([...matVec(m, f32(1, 0, -1))]).toEqual([-2, -2]);
    // (1,2,3)·(1,1,1) = 6, (4,5,6)·(1,1,1) = 15
    expect([...matVec(m, f32(1, 1, 1))]).toEqual([6, 15]);
  });

  it('matMulTransposed gives all pairwise dot products', () => {
    const b = matrixFromRows([f32(1, 0, 0), f32(0, 1, 1)]);
    // rows of m against rows of b: [[1, 2+3], [4, 5+6]]
    const product = matMulTransposed(m, b);
    expect(product.rows).toBe(2);
    expect(product.cols).toBe(2);
    expect([...product.data]).toEqual([1, 5, 4, 11]);
  });

  it('normalizeRows returns unit rows and leaves the input alone', () => {
    const n = normalizeRows(matrixFromRows([f32(3, 4), f32(0, 2)]));
    expect(n.data[0]).toBeCloseTo(0.6, 6);
    expect(n.data[1]).toBeCloseTo(0.8, 6);
    expect([...matrixRow(n, 1)]).toEqual([0, 1]);
  });

  it('rejects inconsistent shapes with InvalidInputError', () => {
    expect(() => createMatrix(2, 2, new Float32Array(3))).toThrow(InvalidInputError);
    // untyped callers: a missing matrix or plain-array data is a typed error, not a TypeError
    expect(() => matVec(undefined as unknown as Matrix, f32(1))).toThrow(InvalidInputError);
    expect(() => matVec({ rows: 1, cols: 1, data: [1] } as unknown as Matrix, f32(1))).toThrow(
      InvalidInputError,
    );
    expect(() => matVec(m, f32(1, 2))).toThrow(InvalidInputError);
    expect(() => matrixFromRows([f32(1, 2), f32(1)])).toThrow(InvalidInputError);
    expect(() => matMulTransposed(m, matrixFromRows([f32(1, 2)]))).toThrow(InvalidInputError);
  });
});

describe('topKIndices', () => {
  it('orders best first and breaks ties by the lower index', () => {
    expect(topKIndices([0.2, 0.9, 0.2, 0.9, 0.5], 5)).toEqual([1, 3, 4, 0, 2]);
    expect(topKIndices([0.2, 0.9, 0.2, 0.9, 0.5], 2)).toEqual([1, 3]);
  });

  it('selects few out of many the same way, ties to the lower index and NaN last', () => {
    // 12 scores, k = 2 (the partial-selection path): best 0.9 at 3, then the 0.8 tie at 5 and 9 → 5
    const scores = [0.1, Number.NaN, 0.3, 0.9, 0.2, 0.8, 0.1, 0.4, 0.5, 0.8, 0.0, 0.7];
    expect(topKIndices(scores, 2)).toEqual([3, 5]);
    expect(topKIndices(scores, 3)).toEqual([3, 5, 9]);
    const allNaN = Array.from({ length: 12 }, () => Number.NaN);
    expect(topKIndices(allNaN, 2)).toEqual([0, 1]);
  });

  it('clamps k to the number of scores and to zero', () => {
    expect(topKIndices([1, 3, 2], 10)).toEqual([1, 2, 0]);
    expect(topKIndices([1, 3, 2], -1)).toEqual([]);
    expect(topKIndices([], 3)).toEqual([]);
  });

  it('ranks NaN last and infinities in order', () => {
    expect(topKIndices([Number.NaN, 1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY], 4)).toEqual([
      2, 1, 3, 0,
    ]);
  });
});
