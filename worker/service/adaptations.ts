/**
 * Each stored classifier's TFUP cache (unlabelled image features and the keys selected from them),
 * kept consistent with the classifier it serves while both change concurrently.
 *
 * A cache is only valid for the class weights it was built with (it records their fingerprint),
 * and a classifier and its cache live in different stores (KV and R2), so no single write can
 * replace both. Instead every write to a cache is a compare-and-swap that re-reads the classifier
 * it builds for, on every attempt:
 * - an adapt grows the cache for the classifier stored *now*; a cache found built for other
 *   weights is rebuilt from its retained images for the current ones (nothing adapted is lost);
 * - a PUT that replaces a classifier then rebuilds its cache for the new weights, and writes an
 *   empty one when there was none, so that the version an adapt read before the replace is gone
 *   and that adapt's write fails and is retried against the new classifier;
 * - a read (classify with TFUP, GET) treats a cache built for other weights as absent.
 * So a cache for old labels can exist only between a replace and the writes that follow it, and
 * is never used. Records carry the time of their last change.
 *
 * Stored form: "DSAD" | u32 header length | header JSON (UTF-8) | the TFUP cache's own bytes
 * (descry/predictors' codec). Bare TFUP caches written before this envelope are still read.
 */
import type { CompiledClassifier, Matrix } from 'descry';
import {
  buildTfupCache,
  decodeTfupCache,
  encodeTfupCache,
  extendTfupCache,
  type TfupCache,
  weightsFingerprint,
} from 'descry/predictors';
import type { KeyValueStore } from 'descry/store';
import { updateWithRetry } from 'descry/store';
import { FifoSlots } from './fifo-slots.js';

const MAGIC = 0x44415344; // "DSAD" read as a little-endian u32

/** Store key of a classifier's TFUP cache. */
export function adaptationKey(id: string): string {
  return `tfup/${id}`;
}

/** A stored cache and when it last changed (null for caches stored before that was recorded). */
export interface AdaptationRecord {
  cache: TfupCache;
  updated: string | null;
}

/** What GET /v1/classifiers/{id} reports about the classifier's adaptation. */
export interface AdaptationState {
  /** Unlabelled images retained in the cache. */
  images: number;
  /** Keys (prototype images) per class that TFUP scores with; 0 when not current. */
  keysPerClass: number;
  /** When the cache last changed. */
  updated: string | null;
  /** False when the cache was built for an earlier version of the classifier (it is not used). */
  current: boolean;
}

function encodeRecord(record: AdaptationRecord): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ updated: record.updated }));
  const cache = encodeTfupCache(record.cache);
  const bytes = new Uint8Array(8 + header.length + cache.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, header.length, true);
  bytes.set(header, 8);
  bytes.set(cache, 8 + header.length);
  return bytes;
}

function decodeRecord(bytes: Uint8Array): AdaptationRecord {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || view.getUint32(0, true) !== MAGIC)
    return { cache: decodeTfupCache(bytes), updated: null };
  const length = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as { updated?: unknown };
  return {
    cache: decodeTfupCache(bytes.subarray(8 + length)),
    updated: typeof header.updated === 'string' ? header.updated : null,
  };
}

/** Whether `cache` was built for exactly these class weights. */
function builtFor(cache: TfupCache, weights: Matrix): boolean {
  return (
    cache.classCount === weights.rows &&
    cache.dim === weights.cols &&
    cache.weightsFingerprint === weightsFingerprint(weights)
  );
}

/** A matrix of no rows. */
function noRows(cols: number): Matrix {
  return { rows: 0, cols, data: new Float32Array(0) };
}

/** A cache of no images for `weights`. */
function emptyCache(weights: Matrix): TfupCache {
  return buildTfupCache(noRows(weights.cols), weights);
}

/** Rows of `a` then rows of `b`. */
function concatRows(a: Matrix, b: Matrix): Matrix {
  const data = new Float32Array((a.rows + b.rows) * a.cols);
  data.set(a.data.subarray(0, a.rows * a.cols));
  data.set(b.data.subarray(0, b.rows * b.cols), a.rows * a.cols);
  return { rows: a.rows + b.rows, cols: a.cols, data };
}

/** `cache` (of any weights) with `features` added, built for `weights`: its images are kept. */
function grown(cache: TfupCache | null, features: Matrix, weights: Matrix): TfupCache {
  if (cache === null) return buildTfupCache(features, weights);
  if (builtFor(cache, weights)) return extendTfupCache(cache, features, weights);
  const pool = cache.dim === weights.cols ? cache.pool : noRows(weights.cols);
  return buildTfupCache(concatRows(pool, features), weights, cache.options);
}

/** The TFUP caches of stored classifiers. */
export class Adaptations {
  readonly #store: KeyValueStore;
  /** Writers per key in this isolate/process, taking turns. */
  readonly #writers = new Map<string, FifoSlots>();

  constructor(store: KeyValueStore) {
    this.#store = store;
  }

  /**
   * Run the writes to one cache in this isolate/process one after another: they would otherwise
   * only collide and retry (20 concurrent adapts can exhaust the retries). Compare-and-swap still
   * settles races with other isolates and processes.
   */
  async #serially<T>(key: string, write: () => Promise<T>): Promise<T> {
    let writers = this.#writers.get(key);
    if (!writers) {
      writers = new FifoSlots(1);
      this.#writers.set(key, writers);
    }
    try {
      return await writers.with(write);
    } finally {
      if (writers.idle) this.#writers.delete(key);
    }
  }

  /** The stored record of classifier `id`, current or not. */
  async record(id: string): Promise<AdaptationRecord | null> {
    const entry = await this.#store.get(adaptationKey(id));
    return entry === null ? null : decodeRecord(entry.value);
  }

  /** The cache to classify `classifier` (stored as `id`) with: undefined when none is usable. */
  async cacheFor(id: string, classifier: CompiledClassifier): Promise<TfupCache | undefined> {
    const record = await this.record(id);
    if (!record || record.cache.pool.rows === 0 || !builtFor(record.cache, classifier.weights))
      return undefined;
    return record.cache;
  }

  /** What GET reports about the cache of `classifier` (stored as `id`); null when there is none. */
  async state(id: string, classifier: CompiledClassifier): Promise<AdaptationState | null> {
    const record = await this.record(id);
    if (!record) return null;
    const current = builtFor(record.cache, classifier.weights);
    return {
      images: record.cache.pool.rows,
      keysPerClass:
        current && record.cache.classCount > 0 ? record.cache.keyIndices.length / record.cache.classCount : 0,
      updated: record.updated,
      current,
    };
  }

  /**
   * Add image `features` to the cache of classifier `id`, for the classifier stored when the write
   * happens: `current` is read again on every attempt of the compare-and-swap.
   */
  async add(
    id: string,
    features: Matrix,
    current: () => Promise<CompiledClassifier>,
  ): Promise<{ size: number; attempts: number }> {
    const key = adaptationKey(id);
    let size = 0;
    const outcome = await this.#serially(key, () =>
      updateWithRetry(this.#store, key, async (entry) => {
        const { weights } = await current();
        const cache = grown(entry === null ? null : decodeRecord(entry.value).cache, features, weights);
        size = cache.pool.rows;
        return encodeRecord({ cache, updated: new Date().toISOString() });
      }),
    );
    return { size, attempts: outcome.attempts };
  }

  /**
   * Bring the cache of classifier `id` in line with `classifier`, just stored under it: rebuilt
   * for its weights from the retained images after a replace, or emptied when `created` (a cache
   * left from a deleted classifier of the same id is not resurrected). After a replace an empty
   * cache is written even when there was none: see the module comment.
   */
  async reconcile(id: string, classifier: CompiledClassifier, options: { created: boolean }): Promise<void> {
    const { weights } = classifier;
    const key = adaptationKey(id);
    await this.#serially(key, () =>
      updateWithRetry(this.#store, key, (entry) => {
        const updated = new Date().toISOString();
        if (entry === null)
          return options.created ? undefined : encodeRecord({ cache: emptyCache(weights), updated });
        const { cache } = decodeRecord(entry.value);
        if (builtFor(cache, weights)) return undefined;
        const next = options.created ? emptyCache(weights) : grown(cache, noRows(weights.cols), weights);
        return encodeRecord({ cache: next, updated });
      }),
    );
  }

  /** Drop the cache of classifier `id`. */
  async delete(id: string): Promise<void> {
    await this.#store.delete(adaptationKey(id));
  }
}
