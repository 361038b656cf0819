/** An in-process store backed by a Map: for tests, single-process servers and short-lived caches. */

import {
  type KeyValueStore,
  type PutOptions,
  type StoredEntry,
  storeConflict,
  toBytes,
  versionMatches,
} from './key-value-store.js';

/**
 * A {@link KeyValueStore} in a Map. Conditional writes are exact: every operation completes
 * synchronously inside its promise, so no other write can interleave between check and write.
 * Values are copied in and out, so callers cannot mutate stored bytes.
 */
export class MemoryStore implements KeyValueStore {
  readonly #entries = new Map<string, StoredEntry>();
  #writes = 0;

  async get(key: string): Promise<StoredEntry | null> {
    const entry = this.#entries.get(key);
    return entry === undefined ? null : { value: entry.value.slice(), version: entry.version };
  }

  async put(key: string, value: Uint8Array | string, options?: PutOptions): Promise<{ version: string }> {
    const current = this.#entries.get(key)?.version ?? null;
    if (!versionMatches(options?.ifVersion, current))
      throw storeConflict(key, options?.ifVersion ?? null, current);
    this.#writes += 1;
    const version = String(this.#writes);
    this.#entries.set(key, { value: toBytes(value).slice(), version });
    return { version };
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.#entries.keys()].filter((key) => key.startsWith(prefix)).sort();
  }
}
