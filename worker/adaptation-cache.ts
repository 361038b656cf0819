/**
 * The stored TFUP cache of a classifier: the L2-normalised embeddings of unlabelled images sent
 * to /adapt, newest last, for the model with `fingerprint`. A compact binary form keeps R2
 * reads small: a JSON header line, then float32 rows.
 */
import { ModelMismatchError } from '../sdk/errors.js';
import type { Matrix } from '../sdk/types.js';

/** Images kept per classifier; the oldest are dropped beyond it. */
export const MAX_ADAPTATION_IMAGES = 2048;

/** A decoded adaptation cache. */
export interface AdaptationCache {
  fingerprint: string;
  features: Matrix;
}

const MAGIC = 'descry-tfup/1';

/** Serialise `cache`. */
export function encodeAdaptationCache(cache: AdaptationCache): Uint8Array {
  const header = new TextEncoder().encode(
    `${JSON.stringify({ format: MAGIC, fingerprint: cache.fingerprint, rows: cache.features.rows, cols: cache.features.cols })}\n`,
  );
  // Pad the header so the float32 rows start 4-byte aligned and can be viewed without copying.
  const offset = Math.ceil(header.length / 4) * 4;
  const bytes = new Uint8Array(offset + cache.features.data.byteLength);
  bytes.fill(0x20, 0, offset);
  bytes.set(header, 0);
  bytes.set(
    new Uint8Array(
      cache.features.data.buffer,
      cache.features.data.byteOffset,
      cache.features.data.byteLength,
    ),
    offset,
  );
  return bytes;
}

/** Parse bytes written by {@link encodeAdaptationCache}; ModelMismatchError on any damage. */
export function decodeAdaptationCache(bytes: Uint8Array): AdaptationCache {
  const newline = bytes.indexOf(0x0a);
  let header: { format?: unknown; fingerprint?: unknown; rows?: unknown; cols?: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(0, newline)));
  } catch {
    throw corrupt();
  }
  const { rows, cols, fingerprint } = header;
  const offset = Math.ceil((newline + 1) / 4) * 4;
  if (
    header.format !== MAGIC ||
    typeof fingerprint !== 'string' ||
    typeof rows !== 'number' ||
    typeof cols !== 'number' ||
    bytes.length !== offset + rows * cols * 4
  ) {
    throw corrupt();
  }
  const data = new Float32Array(bytes.slice(offset).buffer);
  return { fingerprint, features: { rows, cols, data } };
}

/** `cache` with `added` appended, keeping the newest {@link MAX_ADAPTATION_IMAGES}. */
export function appendFeatures(
  cache: AdaptationCache | null,
  fingerprint: string,
  added: Matrix,
): AdaptationCache {
  if (cache !== null && cache.fingerprint !== fingerprint) {
    // The model changed under the cache: the old features are in another space, start over.
    cache = null;
  }
  const cols = added.cols;
  const previous = cache?.features.data ?? new Float32Array();
  const rows = Math.min(MAX_ADAPTATION_IMAGES, (cache?.features.rows ?? 0) + added.rows);
  const all = new Float32Array(previous.length + added.data.length);
  all.set(previous, 0);
  all.set(added.data, previous.length);
  const data = all.slice(all.length - rows * cols);
  return { fingerprint, features: { rows, cols, data } };
}

function corrupt(): ModelMismatchError {
  return new ModelMismatchError(
    'classifier_format_invalid',
    'the stored adaptation cache is damaged; delete the classifier to reset it',
  );
}
