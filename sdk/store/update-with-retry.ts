/**
 * Read-modify-write over a {@link KeyValueStore}: read, compute, write conditionally on the
 * version read, and start over when another writer got in first. This is how concurrent
 * updates (e.g. TFUP adapt calls appending features) avoid losing each other's writes.
 */

import { isDescryError, StoreError } from '../errors.js';
import { decodeJson, type JsonParser } from './json.js';
import type { KeyValueStore, StoredEntry } from './key-value-store.js';

/** Options of {@link updateWithRetry}. */
export interface UpdateOptions {
  /** Total attempts before giving up with `store_conflict`. Default 10. */
  attempts?: number;
  /** First back-off in milliseconds; doubles per attempt with full jitter, capped at 1 s. Default 5. */
  backoffMs?: number;
}

/** What an update produces: the new value, or `undefined` to leave the entry as it is. */
export type UpdateResult = Uint8Array | string | undefined;

/** The outcome of {@link updateWithRetry}. */
export interface UpdateOutcome {
  /** The version now stored, or `null` when `update` chose not to write and there is no entry. */
  version: string | null;
  /** Whether this call wrote. */
  written: boolean;
  /** Attempts used (1 when there was no conflict). */
  attempts: number;
}

const DEFAULT_ATTEMPTS = 10;
const DEFAULT_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 1000;

/**
 * Applies `update` to the entry under `key` atomically with respect to other conditional writers.
 * `update` may run several times (once per attempt) and must not have side effects.
 * Throws `StoreError` `store_conflict` when every attempt lost a race.
 */
export async function updateWithRetry(
  store: KeyValueStore,
  key: string,
  update: (current: StoredEntry | null) => UpdateResult | Promise<UpdateResult>,
  options: UpdateOptions = {},
): Promise<UpdateOutcome> {
  const attempts = Math.max(1, Math.floor(options.attempts ?? DEFAULT_ATTEMPTS));
  const backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  for (let attempt = 1; ; attempt += 1) {
    const current = await store.get(key);
    const next = await update(current);
    if (next === undefined) return { version: current?.version ?? null, written: false, attempts: attempt };
    try {
      const { version } = await store.put(key, next, { ifVersion: current?.version ?? null });
      return { version, written: true, attempts: attempt };
    } catch (error) {
      if (!isDescryError(error) || error.code !== 'store_conflict') throw error;
      if (attempt >= attempts) {
        throw new StoreError('store_conflict', `Update of "${key}" lost the race ${attempts} times`, {
          cause: error,
          details: { key, attempts },
        });
      }
    }
    // Full jitter spreads the losers out so that they do not collide again in lockstep.
    const ceiling = Math.min(MAX_BACKOFF_MS, backoffMs * 2 ** (attempt - 1));
    await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
  }
}

/**
 * {@link updateWithRetry} for JSON values: `update` receives the decoded value (or `null`) and
 * returns the next value, or `undefined` to leave the entry unchanged.
 */
export function updateJsonWithRetry<T>(
  store: KeyValueStore,
  key: string,
  update: (current: T | null) => T | undefined | Promise<T | undefined>,
  options: UpdateOptions & { parse?: JsonParser<T> } = {},
): Promise<UpdateOutcome> {
  return updateWithRetry(
    store,
    key,
    async (entry) => {
      const current = entry === null ? null : decodeJson(key, entry.value, options.parse);
      const next = await update(current);
      return next === undefined ? undefined : JSON.stringify(next);
    },
    options,
  );
}
