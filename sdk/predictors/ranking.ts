/** Ranking of scores: deterministic, with ties broken by the lower index first. */

/** `a` ranks before `b`: higher score, NaN last, equal scores by lower index. */
function ranksBefore(scores: ArrayLike<number>, a: number, b: number): boolean {
  const x = scores[a]!;
  const y = scores[b]!;
  if (Number.isNaN(x)) return Number.isNaN(y) && a < b;
  if (Number.isNaN(y) || x > y) return true;
  return x === y && a < b;
}

/**
 * Indices of the `k` largest scores, best first. `k` is clamped to `[0, scores.length]`.
 * Equal scores keep index order (stable), so results never depend on sort internals;
 * NaN ranks below every number.
 */
export function topKIndices(scores: ArrayLike<number>, k: number): number[] {
  const n = scores.length;
  const count = Math.max(0, Math.min(n, Math.floor(k)));
  if (count === 0) return [];
  if (count * 4 >= n) {
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((i, j) => (ranksBefore(scores, i, j) ? -1 : ranksBefore(scores, j, i) ? 1 : 0));
    return count === n ? order : order.slice(0, count);
  }
  // Few out of many (TFUP picks 2K of thousands per class): keep a sorted window of `count`
  // and insert into it; most indices fail the one comparison with the window's last entry.
  const top: number[] = [];
  for (let i = 0; i < n; i++) {
    if (top.length === count && !ranksBefore(scores, i, top[count - 1]!)) continue;
    let at = top.length === count ? count - 1 : top.length;
    while (at > 0 && ranksBefore(scores, i, top[at - 1]!)) {
      top[at] = top[at - 1]!;
      at--;
    }
    top[at] = i;
  }
  return top;
}

/** Every index ordered by descending score (stable): `topKIndices(scores, scores.length)`. */
export function rankDescending(scores: ArrayLike<number>): number[] {
  return topKIndices(scores, scores.length);
}
