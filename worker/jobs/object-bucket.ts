/**
 * Buckets of objects as batch jobs see them: listed by prefix in pages, read one object at a
 * time with its size known before its bytes, written whole. An R2 binding on Workers, a folder on
 * Node (folder-bucket.node.ts), a Map in memory; job code never knows which.
 */

/** Options of {@link ObjectBucket.list}. */
export interface ListOptions {
  prefix: string;
  limit: number;
  /** The `cursor` of the previous page. */
  cursor?: string;
  /** Only keys after this one. */
  startAfter?: string;
}

/** One page of a listing. */
export interface ObjectPage {
  /** Keys in lexicographic order, with their sizes in bytes. */
  objects: Array<{ key: string; size: number }>;
  /** Pass as `cursor` for the next page; absent on the last page. */
  cursor?: string;
}

/** An object being read: its size first, its bytes on request. */
export interface ObjectReader {
  size: number;
  bytes(): Promise<Uint8Array>;
  /** Release the body without reading it (an object too large to read). */
  discard(): Promise<void>;
}

/** Options of {@link ObjectBucket.put}. */
export interface ObjectPutOptions {
  /** Write only when no object has this key yet; `put` then resolves to false when one had. */
  onlyIfAbsent?: boolean;
}

/** A bucket of objects. */
export interface ObjectBucket {
  /** Up to `limit` objects under `prefix`, after `cursor` (a page's) or after the key `startAfter`. */
  list(options: ListOptions): Promise<ObjectPage>;
  /** The object under `key`, or `null`. */
  get(key: string): Promise<ObjectReader | null>;
  /** Store `value` under `key`; false when `onlyIfAbsent` found an object there. */
  put(key: string, value: Uint8Array | string, options?: ObjectPutOptions): Promise<boolean>;
}

/** An R2 bucket binding as an {@link ObjectBucket}. */
export function r2ObjectBucket(bucket: R2Bucket): ObjectBucket {
  return {
    async list({ prefix, cursor, limit, startAfter }) {
      const page = await bucket.list({
        prefix,
        limit,
        ...(cursor ? { cursor } : {}),
        ...(startAfter ? { startAfter } : {}),
      });
      return {
        objects: page.objects.map((object) => ({ key: object.key, size: object.size })),
        ...(page.truncated ? { cursor: page.cursor } : {}),
      };
    },
    async get(key) {
      const object = await bucket.get(key);
      if (object === null) return null;
      return {
        size: object.size,
        bytes: async () => new Uint8Array(await object.arrayBuffer()),
        discard: () => object.body.cancel(),
      };
    },
    async put(key, value, options = {}) {
      // R2 answers a failed precondition with null rather than an error.
      const written = await bucket.put(
        key,
        value,
        options.onlyIfAbsent ? { onlyIf: { etagDoesNotMatch: '*' } } : {},
      );
      return written !== null;
    },
  };
}

/** The key a listing continues after: the later of a page's cursor and `startAfter`. */
export function listedAfter(cursor: string | undefined, startAfter: string | undefined): string | undefined {
  return [cursor, startAfter]
    .filter((k) => k !== undefined)
    .sort()
    .at(-1);
}

/** An {@link ObjectBucket} in memory (tests, and a Node server without a data folder). */
export function memoryObjectBucket(): ObjectBucket {
  const objects = new Map<string, Uint8Array>();
  const utf8 = new TextEncoder();
  return {
    async list({ prefix, cursor, limit, startAfter }) {
      const after = listedAfter(cursor, startAfter);
      const keys = [...objects.keys()]
        .filter((key) => key.startsWith(prefix) && (after === undefined || key > after))
        .sort();
      const page = keys.slice(0, limit);
      return {
        objects: page.map((key) => ({ key, size: objects.get(key)!.byteLength })),
        ...(keys.length > limit ? { cursor: page.at(-1)! } : {}),
      };
    },
    async get(key) {
      const value = objects.get(key);
      if (value === undefined) return null;
      return { size: value.byteLength, bytes: async () => value.slice(), discard: async () => {} };
    },
    async put(key, value, options = {}) {
      if (options.onlyIfAbsent && objects.has(key)) return false;
      objects.set(key, typeof value === 'string' ? utf8.encode(value) : value.slice());
      return true;
    },
  };
}

/** The text of the object under `key`, or `null`. */
export async function readText(bucket: ObjectBucket, key: string): Promise<string | null> {
  const object = await bucket.get(key);
  return object === null ? null : new TextDecoder().decode(await object.bytes());
}
