/**
 * Input checks shared by the predictors. They cost O(length) at most, never a pass over
 * class weights per request, and turn a wrong shape into an InvalidInputError instead of
 * silent NaNs or an out-of-bounds read.
 */
import { InvalidInputError } from '../errors.js';
import type { Matrix } from '../types.js';
import { l2Normalize } from './vector.js';

/** Throws unless `m` is a consistent rows × cols matrix. */
export function assertMatrix(m: Matrix, name: string): void {
  if (typeof m !== 'object' || m === null) {
    throw new InvalidInputError('invalid_input', `${name} must be a matrix { rows, cols, data }`);
  }
  if (!Number.isInteger(m.rows) || !Number.isInteger(m.cols) || m.rows < 0 || m.cols < 0) {
    throw new InvalidInputError('invalid_input', `${name} must have non-negative integer rows and cols`, {
      details: { rows: m.rows, cols: m.cols },
    });
  }
  if (!(m.data instanceof Float32Array) || m.data.length !== m.rows * m.cols) {
    throw new InvalidInputError(
      'invalid_input',
      `${name} data must be a Float32Array of rows × cols = ${m.rows * m.cols} values`,
      { details: { rows: m.rows, cols: m.cols, length: m.data?.length } },
    );
  }
}

/**
 * Throws unless `v` is a usable embedding: a Float32Array of `dim` finite values, not all
 * zero (a zero vector has no direction, so every cosine with it would be meaningless).
 */
export function assertEmbedding(v: Float32Array, dim: number, name: string): void {
  if (!(v instanceof Float32Array) || v.length !== dim) {
    throw new InvalidInputError('invalid_input', `${name} must be a Float32Array of length ${dim}`, {
      details: { expected: dim, actual: v?.length },
    });
  }
  let nonZero = false;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x)) {
      throw new InvalidInputError('invalid_input', `${name} has a non-finite value at index ${i}`);
    }
    if (x !== 0) nonZero = true;
  }
  if (!nonZero) throw new InvalidInputError('invalid_input', `${name} is the zero vector`);
}

/** Throws unless `value` is a finite number (a logit scale, a temperature, a weight). */
export function assertFinite(value: number, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidInputError('invalid_input', `${name} must be a finite number`, { details: { value } });
  }
}

/** Checks `v` as an embedding of `dim` values and returns a unit-length copy. */
export function unitEmbedding(v: Float32Array, dim: number, name: string): Float32Array {
  assertEmbedding(v, dim, name);
  return l2Normalize(v);
}
