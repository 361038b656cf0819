/**
 * A 32-bit fingerprint of class weights, so that state derived from one set of weights
 * (a TFUP cache) is never silently used with another. Not cryptographic: it guards against
 * mix-ups, not tampering.
 */
import type { Matrix } from '../types.js';

const memo = new WeakMap<Float32Array, { rows: number; cols: number; hash: number }>();

/**
 * FNV-1a over the shape and the float bits of `weights`. Memoised per data array, so a
 * request path that passes the same weights every time hashes them once; weights are
 * treated as immutable once built.
 */
export function weightsFingerprint(weights: Matrix): number {
  const cached = memo.get(weights.data);
  if (cached && cached.rows === weights.rows && cached.cols === weights.cols) return cached.hash;
  let hash = 0x811c9dc5;
  const mix = (word: number) => {
    hash = Math.imul(hash ^ (word & 0xffff), 0x01000193);
    hash = Math.imul(hash ^ (word >>> 16), 0x01000193);
  };
  mix(weights.rows);
  mix(weights.cols);
  const bits = new Uint32Array(weights.data.buffer, weights.data.byteOffset, weights.data.length);
  for (let i = 0; i < bits.length; i++) mix(bits[i]!);
  hash >>>= 0;
  memo.set(weights.data, { rows: weights.rows, cols: weights.cols, hash });
  return hash;
}
