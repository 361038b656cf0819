/**
 * A store on a Cloudflare R2 bucket binding, with real compare-and-swap: conditional writes use
 * R2's `onlyIf` preconditions (`etagMatches` for a version, `etagDoesNotMatch: '*'` for "must
 * not exist"), which R2 evaluates atomically with the write. The version is the object's etag
 * (the content MD5 for single-part uploads: rewriting identical bytes keeps it, which is harmless).
 *
 * The binding's type is declared here, structurally ({@link R2BucketLike}: what this store calls),
 * so the package's types check without @cloudflare/workers-types in Node and browser projects; a
 * Worker's `R2Bucket` is one.
 */

import {
  type KeyValueStore,
  type PutOptions,
  type StoredEntry,
  storeConflict,
  storeFailure,
  toBytes,
} from './key-value-store.js';

/** An R2 write precondition, as far as {@link R2Store} uses them (`R2Conditional` is one). */
export interface R2ConditionalLike {
  etagMatches?: string;
  etagDoesNotMatch?: string;
}

/** What {@link R2Store} needs of an R2 bucket binding (`R2Bucket` is one). */
export interface R2BucketLike {
  get(key: string): Promise<{ etag: string; arrayBuffer(): Promise<ArrayBuffer> } | null>;
  head(key: string): Promise<{ etag: string } | null>;
  put(
    key: string,
    value: Uint8Array,
    options?: { onlyIf: R2ConditionalLike },
  ): Promise<{ etag: string } | null>;
  delete(key: string): Promise<void>;
  list(options: { prefix: string; cursor?: string }): Promise<{
    objects: Array<{ key: string }>;
    truncated: boolean;
    cursor?: string;
  }>;
}

/** A {@link KeyValueStore} on an R2 bucket. */
export class R2Store implements KeyValueStore {
  readonly #bucket: R2BucketLike;

  constructor(bucket: R2BucketLike) {
    this.#bucket = bucket;
  }

  async get(key: string): Promise<StoredEntry | null> {
    try {
      const object = await this.#bucket.get(key);
      if (object === null) return null;
      return { value: new Uint8Array(await object.arrayBuffer()), version: object.etag };
    } catch (error) {
      throw storeFailure('get', key, error);
    }
  }

  async put(key: string, value: Uint8Array | string, options?: PutOptions): Promise<{ version: string }> {
    const expected = options?.ifVersion;
    const onlyIf: R2ConditionalLike | undefined =
      expected === undefined
        ? undefined
        : expected === null
          ? { etagDoesNotMatch: '*' }
          : { etagMatches: expected };
    let written: { etag: string } | null;
    try {
      written = await this.#bucket.put(key, toBytes(value), onlyIf === undefined ? undefined : { onlyIf });
    } catch (error) {
      throw storeFailure('put', key, error);
    }
    // R2 answers a failed precondition with null rather than an error.
    if (written === null) {
      const current = await this.#bucket.head(key).catch(() => null);
      throw storeConflict(key, expected ?? null, current?.etag ?? null);
    }
    return { version: written.etag };
  }

  async delete(key: string): Promise<void> {
    try {
      await this.#bucket.delete(key);
    } catch (error) {
      throw storeFailure('delete', key, error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor: string | undefined;
    try {
      do {
        const page = await this.#bucket.list({ prefix, ...(cursor === undefined ? {} : { cursor }) });
        for (const object of page.objects) keys.push(object.key);
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor !== undefined);
    } catch (error) {
      throw storeFailure('list', prefix, error);
    }
    return keys.sort();
  }
}
