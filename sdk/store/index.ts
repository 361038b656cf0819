/**
 * Cache stores behind one interface: bytes or JSON under string keys, with versions for
 * optimistic concurrency and a read-modify-write helper that retries lost races.
 *
 * - {@link MemoryStore}: a Map, everywhere.
 * - {@link KvStore}: a Workers KV namespace (conditions are best-effort: KV has no CAS).
 * - {@link R2Store}: an R2 bucket (real CAS through etag preconditions).
 * - `FileStore` (Node only) is added by the Node entry (sdk/store/node.ts), so that
 *   this entry point stays free of `node:` imports for browsers and Workers.
 *
 * @module
 */

export { contentVersion } from './content-version.js';
export { decodeJson, getJson, type JsonEntry, type JsonParser, putJson } from './json.js';
export type { KeyValueStore, PutOptions, StoredEntry } from './key-value-store.js';
export { type KvNamespaceLike, KvStore } from './kv.js';
export { MemoryStore } from './memory.js';
export { type R2BucketLike, type R2ConditionalLike, R2Store } from './r2.js';
export {
  type UpdateOptions,
  type UpdateOutcome,
  type UpdateResult,
  updateJsonWithRetry,
  updateWithRetry,
} from './update-with-retry.js';
