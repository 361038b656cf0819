/**
 * A Node store with one file per key under a folder. Writes go to a temporary file that is then
 * renamed over the entry, so readers never see half a value. Conditional writes hold a per-key
 * lock (an in-process queue plus an exclusive lock file, so separate processes sharing the folder
 * are serialised too) while they re-read the version and write.
 *
 * Versions are content hashes: stable across processes and restarts. Writing identical bytes
 * keeps the version, which is harmless for compare-and-swap because the value is the same.
 */

import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError, StoreError } from '../errors.js';
import {
  type KeyValueStore,
  type PutOptions,
  type StoredEntry,
  storeConflict,
  storeFailure,
  toBytes,
  versionMatches,
} from './key-value-store.js';

/** Options of {@link FileStore}. */
export interface FileStoreOptions {
  /** How long a write waits for another writer's lock before failing. Default 10 000 ms. */
  lockTimeoutMs?: number;
  /** A lock file older than this is assumed left by a crashed process and removed. Default 30 000 ms. */
  staleLockMs?: number;
}

const ENTRY_SUFFIX = '.entry';
const KEY_SUFFIX = '.key';
const LOCK_SUFFIX = '.lock';
// Most file systems cap names at 255 bytes; longer keys are stored under their hash.
const MAX_ENCODED_NAME = 200;

function hash(bytes: Uint8Array | string, length = 64): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, length);
}

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

/**
 * File name of a key: percent-encoded (also `.` so that no key becomes `.`, `..` or looks like
 * a temporary file), or `#` + hash with a `.key` file beside it when the encoding is too long.
 */
function entryName(key: string): { name: string; hashed: boolean } {
  let uri: string;
  try {
    uri = encodeURIComponent(key);
  } catch (cause) {
    throw new InvalidInputError(
      'invalid_input',
      'A store key must be well-formed Unicode (no lone surrogates)',
      {
        cause,
      },
    );
  }
  const encoded = uri.replace(/[!'()*.~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  if (encoded.length <= MAX_ENCODED_NAME) return { name: encoded, hashed: false };
  return { name: `#${hash(key)}`, hashed: true };
}

/** A {@link KeyValueStore} in a folder (Node only). The folder is created on first write. */
export class FileStore implements KeyValueStore {
  readonly directory: string;
  readonly #lockTimeoutMs: number;
  readonly #staleLockMs: number;
  readonly #queues = new Map<string, Promise<void>>();
  #ready: Promise<void> | undefined;

  constructor(directory: string, options: FileStoreOptions = {}) {
    this.directory = directory;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    this.#staleLockMs = options.staleLockMs ?? 30_000;
  }

  async get(key: string): Promise<StoredEntry | null> {
    const { name } = entryName(key);
    try {
      const value = new Uint8Array(await readFile(join(this.directory, name + ENTRY_SUFFIX)));
      return { value, version: hash(value, 32) };
    } catch (error) {
      if (isMissing(error)) return null;
      throw storeFailure('get', key, error);
    }
  }

  async put(key: string, value: Uint8Array | string, options?: PutOptions): Promise<{ version: string }> {
    const bytes = toBytes(value);
    const { name, hashed } = entryName(key);
    return this.#locked(key, name, async () => {
      if (options?.ifVersion !== undefined) {
        const current = (await this.get(key))?.version ?? null;
        if (!versionMatches(options.ifVersion, current)) throw storeConflict(key, options.ifVersion, current);
      }
      if (hashed) await this.#writeAtomically(name + KEY_SUFFIX, key);
      await this.#writeAtomically(name + ENTRY_SUFFIX, bytes);
      return { version: hash(bytes, 32) };
    }).catch((error: unknown) => {
      throw storeFailure('put', key, error);
    });
  }

  async delete(key: string): Promise<void> {
    const { name, hashed } = entryName(key);
    await this.#locked(key, name, async () => {
      await rm(join(this.directory, name + ENTRY_SUFFIX), { force: true });
      if (hashed) await rm(join(this.directory, name + KEY_SUFFIX), { force: true });
    }).catch((error: unknown) => {
      throw storeFailure('delete', key, error);
    });
  }

  async list(prefix: string): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if (isMissing(error)) return [];
      throw storeFailure('list', prefix, error);
    }
    const keys: string[] = [];
    for (const file of names) {
      if (!file.endsWith(ENTRY_SUFFIX)) continue;
      const name = file.slice(0, -ENTRY_SUFFIX.length);
      const key = name.startsWith('#') ? await this.#readHashedKey(name) : decodeURIComponent(name);
      if (key?.startsWith(prefix)) keys.push(key);
    }
    return keys.sort();
  }

  async #readHashedKey(name: string): Promise<string | null> {
    try {
      return await readFile(join(this.directory, name + KEY_SUFFIX), 'utf8');
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async #writeAtomically(file: string, data: Uint8Array | string): Promise<void> {
    const temporary = join(this.directory, `${file}.${randomUUID()}.tmp`);
    try {
      await writeFile(temporary, data);
      await rename(temporary, join(this.directory, file));
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /** Runs `work` while holding the key's in-process turn and its lock file. */
  #locked<T>(key: string, name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(name) ?? Promise.resolve();
    const run = previous.then(async () => {
      await this.#ensureDirectory();
      const release = await this.#acquireLockFile(key, join(this.directory, name + LOCK_SUFFIX));
      try {
        return await work();
      } finally {
        await release();
      }
    });
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(name, settled);
    void settled.then(() => {
      if (this.#queues.get(name) === settled) this.#queues.delete(name);
    });
    return run;
  }

  #ensureDirectory(): Promise<void> {
    this.#ready ??= mkdir(this.directory, { recursive: true }).then(
      () => undefined,
      (error: unknown) => {
        this.#ready = undefined;
        throw error;
      },
    );
    return this.#ready;
  }

  async #acquireLockFile(key: string, path: string): Promise<() => Promise<void>> {
    const started = Date.now();
    for (;;) {
      try {
        const handle = await open(path, 'wx');
        await handle.close();
        return () => unlink(path).catch(() => undefined);
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
      }
      const age = await stat(path).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > this.#staleLockMs) {
        await unlink(path).catch(() => undefined);
        continue;
      }
      if (Date.now() - started > this.#lockTimeoutMs) {
        throw new StoreError('store_failed', `Timed out waiting for the lock on "${key}"`, {
          details: { key, lock: path },
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    }
  }
}
