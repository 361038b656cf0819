/**
 * A fitted conformal calibration as a compiled classifier carries it: the threshold of
 * sdk/predictors/conformal.ts, which predictor's scores it was fitted on, and a fingerprint of the
 * embeddings that predictor reads, so that a calibration is never applied to other weights (the
 * guarantee holds only for the scores it was fitted on), as TFUP caches are refused today.
 *
 * The fingerprint hashes the embeddings rounded to float16 (FNV-1a over the half-precision bits,
 * sdk/predictors/fingerprint.ts's hash): a classifier calibrated in memory (float32) and saved as
 * float16, the default, must still match its calibration after loading. Rounding a float16 value
 * to float16 changes nothing, so both precisions hash alike; the scores differ by less than 1e-3 in
 * cosine between them, far below the gaps that move a label across q̂ in any but borderline cases.
 */
import { f16round } from '@petamoriken/float16';
import { ModelMismatchError } from '../errors.js';
import type {
  ConfidenceMeasure,
  ConformalMethod,
  ConformalThreshold,
  NoneOfTheseThreshold,
} from '../predictors/conformal.js';
import type { DescriptorAggregation, Matrix } from '../types.js';

/** The predictor whose scores a calibration holds for. */
export type CalibratedPredictor =
  | { method: 'zeroshot' }
  | { method: 'subclasses'; reweight: boolean; includeLabel: boolean }
  | { method: 'descriptions'; aggregation: DescriptorAggregation };

/** A conformal threshold fitted on one classifier's scores, serialisable as JSON. */
export interface ClassifierCalibration extends ConformalThreshold {
  /** Sets hold their guarantee for this predictor's scores only. */
  predictor: CalibratedPredictor;
  /** {@link embeddingsFingerprint} of the embeddings `predictor` reads. */
  weightsFingerprint: number;
  /** Optional "none of these" threshold fitted on the same images (rejects ≤ α of in-set images). */
  noneOfThese?: NoneOfTheseThreshold;
  /** ISO time of fitting. */
  created: string;
}

const memo = new WeakMap<Float32Array, { rows: number; cols: number; hash: number }>();

/**
 * FNV-1a over the shapes and float16-rounded values of `matrices`, in order. Memoised per data
 * array (embeddings are immutable once built), so checking a calibration on every request is free.
 */
export function embeddingsFingerprint(matrices: readonly Matrix[]): number {
  let hash = 0x811c9dc5;
  const mix = (word: number) => {
    hash = Math.imul(hash ^ (word & 0xffff), 0x01000193);
    hash = Math.imul(hash ^ (word >>> 16), 0x01000193);
  };
  mix(matrices.length);
  for (const m of matrices) mix(matrixHash(m));
  return hash >>> 0;
}

function matrixHash(m: Matrix): number {
  const cached = memo.get(m.data);
  if (cached && cached.rows === m.rows && cached.cols === m.cols) return cached.hash;
  let hash = 0x811c9dc5;
  const mix = (word: number) => {
    hash = Math.imul(hash ^ (word & 0xffff), 0x01000193);
    hash = Math.imul(hash ^ (word >>> 16), 0x01000193);
  };
  mix(m.rows);
  mix(m.cols);
  const one = new Float32Array(1);
  const bits = new Uint32Array(one.buffer);
  for (let i = 0; i < m.data.length; i++) {
    one[0] = f16round(m.data[i]!);
    mix(bits[0]!);
  }
  hash >>>= 0;
  memo.set(m.data, { rows: m.rows, cols: m.cols, hash });
  return hash;
}

/** Serialises a calibration (JSON); {@link decodeCalibration} reads it back. */
export function encodeCalibration(calibration: ClassifierCalibration): string {
  return JSON.stringify(calibration);
}

/**
 * Reads and validates a calibration from JSON text or a parsed object.
 *
 * @throws ModelMismatchError (`classifier_format_invalid`) for anything that is not a complete
 *   calibration of a known method and predictor.
 */
export function decodeCalibration(input: string | unknown): ClassifierCalibration {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      invalid('not JSON', cause);
    }
  }
  const c = value as Partial<ClassifierCalibration> | null;
  if (typeof c !== 'object' || c === null) invalid('not an object');
  const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 1;
  const methods: ConformalMethod[] = ['lac', 'aps', 'raps'];
  if (
    !(typeof c.alpha === 'number' && c.alpha > 0 && c.alpha < 1) ||
    !methods.includes(c.method as ConformalMethod) ||
    !Number.isFinite(c.threshold) ||
    !count(c.n) ||
    !count(c.rank) ||
    (c.rank as number) > (c.n as number) ||
    !(Number.isSafeInteger(c.weightsFingerprint) && (c.weightsFingerprint as number) >= 0) ||
    typeof c.created !== 'string'
  ) {
    invalid('missing or malformed alpha, method, threshold, n, rank, weightsFingerprint or created');
  }
  if (
    c.method === 'raps' &&
    !(Number.isInteger(c.kReg) && (c.kReg as number) >= 0 && Number.isFinite(c.lambda))
  ) {
    invalid('RAPS without kReg and lambda');
  }
  const p = c.predictor as Partial<Record<string, unknown>> | undefined;
  const predictorValid =
    typeof p === 'object' &&
    p !== null &&
    (p.method === 'zeroshot' ||
      (p.method === 'subclasses' && typeof p.reweight === 'boolean' && typeof p.includeLabel === 'boolean') ||
      (p.method === 'descriptions' && ['mean', 'max', 'sum'].includes(p.aggregation as string)));
  if (!predictorValid) invalid('unknown predictor');
  const none = c.noneOfThese as Partial<NoneOfTheseThreshold> | undefined;
  if (
    none !== undefined &&
    !(
      typeof none === 'object' &&
      none !== null &&
      (['score', 'cosine', 'margin'] as ConfidenceMeasure[]).includes(none.measure as ConfidenceMeasure) &&
      Number.isFinite(none.below) &&
      typeof none.alpha === 'number' &&
      none.alpha > 0 &&
      none.alpha < 1 &&
      count(none.n) &&
      count(none.rank)
    )
  ) {
    invalid('malformed noneOfThese');
  }
  const calibration: ClassifierCalibration = {
    alpha: c.alpha!,
    method: c.method!,
    threshold: c.threshold!,
    n: c.n!,
    rank: c.rank!,
    ...(c.method === 'raps' ? { kReg: c.kReg!, lambda: c.lambda! } : {}),
    predictor:
      p!.method === 'subclasses'
        ? { method: 'subclasses', reweight: p!.reweight as boolean, includeLabel: p!.includeLabel as boolean }
        : p!.method === 'descriptions'
          ? { method: 'descriptions', aggregation: p!.aggregation as DescriptorAggregation }
          : { method: 'zeroshot' },
    weightsFingerprint: c.weightsFingerprint!,
    ...(none
      ? {
          noneOfThese: {
            measure: none.measure!,
            below: none.below!,
            alpha: none.alpha!,
            n: none.n!,
            rank: none.rank!,
          },
        }
      : {}),
    created: c.created!,
  };
  return calibration;
}

function invalid(reason: string, cause?: unknown): never {
  throw new ModelMismatchError('classifier_format_invalid', `invalid calibration: ${reason}`, { cause });
}
