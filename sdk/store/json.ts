/** JSON values on top of a byte store: encode on write, decode and validate on read. */

import { StoreError } from '../errors.js';
import type { KeyValueStore, PutOptions } from './key-value-store.js';

/** Turns decoded JSON into a typed value, throwing on a wrong shape (e.g. a zod schema's `parse`). */
export type JsonParser<T> = (value: unknown) => T;

/** A decoded JSON entry and its version. */
export interface JsonEntry<T> {
  value: T;
  version: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes stored bytes as JSON, validated by `parse`; bad bytes throw `store_failed`. */
export function decodeJson<T>(key: string, bytes: Uint8Array, parse?: JsonParser<T>): T {
  let decoded: unknown;
  try {
    decoded = JSON.parse(utf8.decode(bytes));
  } catch (cause) {
    throw new StoreError('store_failed', `Stored entry "${key}" is not valid UTF-8 JSON`, {
      cause,
      details: { key },
    });
  }
  if (parse === undefined) return decoded as T;
  try {
    return parse(decoded);
  } catch (cause) {
    throw new StoreError('store_failed', `Stored entry "${key}" does not have the expected shape`, {
      cause,
      details: { key },
    });
  }
}

/**
 * Reads `key` as JSON. Without `parse` the value is returned unchecked as `T`; pass a parser
 * (e.g. `schema.parse`) for anything that another process may have written.
 */
export async function getJson<T>(
  store: KeyValueStore,
  key: string,
  parse?: JsonParser<T>,
): Promise<JsonEntry<T> | null> {
  const entry = await store.get(key);
  if (entry === null) return null;
  return { value: decodeJson(key, entry.value, parse), version: entry.version };
}

/** Writes `value` as JSON under `key`, with the same conditions as {@link KeyValueStore.put}. */
export function putJson(
  store: KeyValueStore,
  key: string,
  value: unknown,
  options?: PutOptions,
): Promise<{ version: string }> {
  return store.put(key, JSON.stringify(value), options);
}
