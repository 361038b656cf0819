/**
 * Dense vector kernels over Float32Array for the request path.
 *
 * Accumulation happens in JS numbers (float64) and results are stored as float32, so a
 * 512-dim dot product loses no precision to summation order. Every kernel that returns a
 * vector accepts an optional `out` buffer so that hot loops can reuse memory.
 */

/** Dot product of the first `a.length` entries. Callers check lengths (see shape.ts). */
export function dot(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  // Four independent accumulators let the JIT pipeline the multiply-adds.
  for (; i + 3 < n; i += 4) {
    s0 += a[i]! * b[i]!;
    s1 += a[i + 1]! * b[i + 1]!;
    s2 += a[i + 2]! * b[i + 2]!;
    s3 += a[i + 3]! * b[i + 3]!;
  }
  for (; i < n; i++) s0 += a[i]! * b[i]!;
  return s0 + s1 + s2 + s3;
}

/** Euclidean norm. */
export function l2Norm(v: Float32Array): number {
  return Math.sqrt(dot(v, v));
}

/**
 * `v / ||v||`. A zero vector has no direction: it comes back as zeros, so that every cosine
 * with it is 0 instead of NaN. Predictors reject zero embeddings before they get here.
 */
export function l2Normalize(v: Float32Array, out: Float32Array = new Float32Array(v.length)): Float32Array {
  const norm = l2Norm(v);
  const inverse = norm > 0 ? 1 / norm : 0;
  for (let i = 0; i < v.length; i++) out[i] = v[i]! * inverse;
  return out;
}

/** Largest entry (NaN entries are skipped); -Infinity for an empty vector. */
export function maxOf(x: ArrayLike<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < x.length; i++) if (x[i]! > max) max = x[i]!;
  return max;
}

/**
 * Softmax of `scale · x`, stable for any magnitude: the maximum is subtracted before
 * exponentiating, so the largest term is exp(0) = 1 and the sum cannot overflow.
 */
export function softmax(
  x: ArrayLike<number>,
  out: Float32Array = new Float32Array(x.length),
  scale = 1,
): Float32Array {
  const max = maxOf(x) * scale;
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const e = Math.exp(x[i]! * scale - max);
    out[i] = e;
    sum += e;
  }
  const inverse = 1 / sum;
  for (let i = 0; i < x.length; i++) out[i] = out[i]! * inverse;
  return out;
}

/** `log softmax(scale · x)` = `scale·x - max - log Σ exp(scale·x - max)`, never -Infinity for finite x. */
export function logSoftmax(
  x: ArrayLike<number>,
  out: Float32Array = new Float32Array(x.length),
  scale = 1,
): Float32Array {
  const max = maxOf(x) * scale;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i]! * scale - max);
  const shift = max + Math.log(sum);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! * scale - shift;
  return out;
}

/** Logistic function, written so that neither branch can overflow `exp`. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * Kullback–Leibler divergence `KL(p || q) = Σ p_i · ln(p_i / q_i)` in nats.
 * Terms with `p_i = 0` contribute 0 (the limit of p ln p); a `q_i = 0` under `p_i > 0`
 * makes the divergence +Infinity, as it mathematically is.
 */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    if (pi <= 0) continue;
    const qi = q[i]!;
    if (qi <= 0) return Number.POSITIVE_INFINITY;
    sum += pi * Math.log(pi / qi);
  }
  return sum;
}

/**
 * `KL(p || q)` from log-probabilities (`logP = log p`, `logQ = log q`, e.g. from
 * {@link logSoftmax}): `Σ exp(logP_i) · (logP_i - logQ_i)`. Finite for any finite logits,
 * where the probability form would underflow to 0 and blow up.
 */
export function klDivergenceFromLogProbs(logP: ArrayLike<number>, logQ: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < logP.length; i++) {
    const lp = logP[i]!;
    sum += Math.exp(lp) * (lp - logQ[i]!);
  }
  return sum;
}
