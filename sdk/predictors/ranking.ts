/** Ranking of scores: deterministic, with ties broken by the lower index first. */

/**
 * Indices of the `k` largest scores, best first. `k` is clamped to `[0, scores.length]`.
 * Equal scores keep index order (stable), so results never depend on sort internals;
 * NaN ranks below every number.
 */
export function topKIndices(scores: ArrayLike<number>, k: number): number[] {
  const n = scores.length;
  const count = Math.max(0, Math.min(n, Math.floor(k)));
  if (count === 0) return [];
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((i, j) => {
    const a = scores[i]!;
    const b = scores[j]!;
    const aNaN = Number.isNaN(a);
    const bNaN = Number.isNaN(b);
    if (aNaN || bNaN) return aNaN === bNaN ? i - j : aNaN ? 1 : -1;
    return b - a || i - j;
  });
  return count === n ? order : order.slice(0, count);
}

/** Every index ordered by descending score (stable): `topKIndices(scores, scores.length)`. */
export function rankDescending(scores: ArrayLike<number>): number[] {
  return topKIndices(scores, scores.length);
}
