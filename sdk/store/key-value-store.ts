/**
 * The one interface every cache store implements: bytes under string keys, with a version per
 * entry so that writers can detect that someone else wrote in between (compare-and-swap).
 */

import { StoreError } from '../errors.js';

/** One stored entry and the version that identifies this exact write. */
export interface StoredEntry {
  value: Uint8Array;
  /** Opaque; changes on every write that changes the content. Compare only for equality. */
  version: string;
}

/** Options of {@link KeyValueStore.put}. */
export interface PutOptions {
  /**
   * Write only if the entry is still at this version; `null` means it must not exist yet.
   * Omit for an unconditional write. A failed condition throws `StoreError` `store_conflict`.
   */
  ifVersion?: string | null;
}

/**
 * A byte store with optimistic concurrency. Implementations: memory, file (Node), Cloudflare KV
 * (best-effort conditions) and R2 (real compare-and-swap).
 */
export interface KeyValueStore {
  /** The entry under `key`, or `null` when there is none. */
  get(key: string): Promise<StoredEntry | null>;
  /** Writes `value` (strings are stored as UTF-8) and returns the new version. */
  put(key: string, value: Uint8Array | string, options?: PutOptions): Promise<{ version: string }>;
  /** Removes `key`; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Every key that starts with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
}

const utf8 = new TextEncoder();

/** Normalises a put value to bytes. */
export function toBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? utf8.encode(value) : value;
}

/** The error a store throws when a conditional write finds another version. */
export function storeConflict(key: string, expected: string | null, actual: string | null): StoreError {
  const wanted = expected === null ? 'no entry' : `version ${expected}`;
  const found = actual === null ? 'no entry' : `version ${actual}`;
  return new StoreError(
    'store_conflict',
    `Conditional write to "${key}" expected ${wanted} but found ${found}`,
    {
      details: { key },
    },
  );
}

/** True when a conditional write with `expected` may proceed on an entry at `actual`. */
export function versionMatches(expected: string | null | undefined, actual: string | null): boolean {
  return expected === undefined || expected === actual;
}

/** Wraps an unexpected failure of a backing store in a typed `store_failed` error. */
export function storeFailure(operation: string, key: string, cause: unknown): StoreError {
  if (cause instanceof StoreError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new StoreError('store_failed', `Store ${operation} of "${key}" failed: ${reason}`, {
    cause,
    details: { key, operation },
  });
}
