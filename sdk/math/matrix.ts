/**
 * Row-major float32 matrices (the `Matrix` of sdk/types.ts) and the two products the
 * predictors need: matrix × vector (one image against every class) and matrix × matrixᵀ
 * (a batch of images against every class, or features against cache keys).
 */

import { InvalidInputError } from '../errors.js';
import type { Matrix } from '../types.js';
import { assertMatrix } from './shape.js';
import { dot, l2Normalize } from './vector.js';

/** A rows × cols matrix over `data` (zero-filled when omitted). Throws on a length mismatch. */
export function createMatrix(rows: number, cols: number, data?: Float32Array): Matrix {
  const m: Matrix = { rows, cols, data: data ?? new Float32Array(Math.max(0, rows * cols)) };
  assertMatrix(m, 'matrix');
  return m;
}

/** Stacks equal-length vectors into a matrix (copied). `cols` is needed only when `vectors` is empty. */
export function matrixFromRows(vectors: readonly Float32Array[], cols?: number): Matrix {
  const width = vectors[0]?.length ?? cols ?? 0;
  const m = createMatrix(vectors.length, width);
  vectors.forEach((v, i) => {
    if (v.length !== width) {
      throw new InvalidInputError('invalid_input', `row ${i} has length ${v.length}, expected ${width}`);
    }
    m.data.set(v, i * width);
  });
  return m;
}

/** The rows of `parts`, one matrix after the other, in a new matrix (`cols` when there are none). */
export function stackRows(parts: readonly Matrix[], cols?: number): Matrix {
  const width = parts[0]?.cols ?? cols ?? 0;
  const rows = parts.reduce((n, part) => n + part.rows, 0);
  const out = createMatrix(rows, width);
  let offset = 0;
  parts.forEach((part, i) => {
    if (part.cols !== width) {
      throw new InvalidInputError('invalid_input', `part ${i} has ${part.cols} columns, expected ${width}`);
    }
    out.data.set(part.data.subarray(0, part.rows * part.cols), offset);
    offset += part.rows * part.cols;
  });
  return out;
}

/** Row `i` as a view sharing the matrix's memory (no copy). */
export function matrixRow(m: Matrix, i: number): Float32Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

/** A copy of `m` with every row scaled to unit length (zero rows stay zero). */
export function normalizeRows(m: Matrix): Matrix {
  const out = createMatrix(m.rows, m.cols);
  for (let i = 0; i < m.rows; i++) l2Normalize(matrixRow(m, i), matrixRow(out, i));
  return out;
}

/** `m · v`: one entry per row of `m`. */
export function matVec(m: Matrix, v: Float32Array, out?: Float32Array): Float32Array {
  assertMatrix(m, 'matrix');
  if (!(v instanceof Float32Array) || v.length !== m.cols) {
    throw new InvalidInputError(
      'invalid_input',
      `vector length ${v?.length} does not match ${m.cols} columns`,
    );
  }
  const { rows, cols, data } = m;
  const result = out ?? new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let s0 = 0;
    let s1 = 0;
    let c = 0;
    for (; c + 1 < cols; c += 2) {
      s0 += data[base + c]! * v[c]!;
      s1 += data[base + c + 1]! * v[c + 1]!;
    }
    if (c < cols) s0 += data[base + c]! * v[c]!;
    result[r] = s0 + s1;
  }
  return result;
}

/** `a · bᵀ`: entry (i, j) is the dot product of row i of `a` with row j of `b`. */
export function matMulTransposed(a: Matrix, b: Matrix): Matrix {
  assertMatrix(a, 'left matrix');
  assertMatrix(b, 'right matrix');
  if (a.cols !== b.cols) {
    throw new InvalidInputError('invalid_input', `inner dimensions differ: ${a.cols} vs ${b.cols}`);
  }
  const out = createMatrix(a.rows, b.rows);
  for (let i = 0; i < a.rows; i++) {
    const ai = matrixRow(a, i);
    const base = i * b.rows;
    for (let j = 0; j < b.rows; j++) out.data[base + j] = dot(ai, matrixRow(b, j));
  }
  return out;
}
