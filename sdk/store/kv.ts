/**
 * A store on a Cloudflare Workers KV namespace binding.
 *
 * KV has no compare-and-swap and its reads are eventually consistent (a write can take up to a
 * minute to reach other locations), so `ifVersion` is best-effort here: the version is checked
 * against a fresh read just before writing, which catches most conflicts within one location but
 * not two writers racing in the same instant or in different locations. Use R2 (or a Durable
 * Object) where a lost update matters; KV suits write-once caches such as pair descriptions.
 *
 * The binding's type is declared here, structurally ({@link KvNamespaceLike}: the four methods
 * this store calls), so the package's types check without @cloudflare/workers-types in Node and
 * browser projects; a Worker's `KVNamespace` is one.
 */

import { contentVersion } from './content-version.js';
import {
  type KeyValueStore,
  type PutOptions,
  type StoredEntry,
  storeConflict,
  storeFailure,
  toBytes,
  versionMatches,
} from './key-value-store.js';

/** What {@link KvStore} needs of a Workers KV namespace binding (`KVNamespace` is one). */
export interface KvNamespaceLike {
  get(key: string, type: 'arrayBuffer'): Promise<ArrayBuffer | null>;
  put(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  list(options: { prefix: string; cursor?: string }): Promise<{
    keys: Array<{ name: string }>;
    list_complete: boolean;
    cursor?: string;
  }>;
}

/** A {@link KeyValueStore} on a KV namespace; versions are content hashes. */
export class KvStore implements KeyValueStore {
  readonly #namespace: KvNamespaceLike;

  constructor(namespace: KvNamespaceLike) {
    this.#namespace = namespace;
  }

  async get(key: string): Promise<StoredEntry | null> {
    let buffer: ArrayBuffer | null;
    try {
      buffer = await this.#namespace.get(key, 'arrayBuffer');
    } catch (error) {
      throw storeFailure('get', key, error);
    }
    if (buffer === null) return null;
    const value = new Uint8Array(buffer);
    return { value, version: await contentVersion(value) };
  }

  async put(key: string, value: Uint8Array | string, options?: PutOptions): Promise<{ version: string }> {
    const bytes = toBytes(value);
    if (options?.ifVersion !== undefined) {
      const current = (await this.get(key))?.version ?? null;
      if (!versionMatches(options.ifVersion, current)) throw storeConflict(key, options.ifVersion, current);
    }
    try {
      await this.#namespace.put(key, bytes);
    } catch (error) {
      throw storeFailure('put', key, error);
    }
    return { version: await contentVersion(bytes) };
  }

  async delete(key: string): Promise<void> {
    try {
      await this.#namespace.delete(key);
    } catch (error) {
      throw storeFailure('delete', key, error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor: string | undefined;
    try {
      do {
        const page = await this.#namespace.list({ prefix, ...(cursor === undefined ? {} : { cursor }) });
        for (const { name } of page.keys) keys.push(name);
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor !== undefined);
    } catch (error) {
      throw storeFailure('list', prefix, error);
    }
    return keys.sort();
  }
}
