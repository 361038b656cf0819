/**
 * Compiled classifiers stored by id. Bytes live in the store (KV on Workers); the decoded form
 * is kept per isolate keyed by the stored version, so a hot id costs one store read and no
 * decoding or text encoding.
 */
import { CompiledClassifier, DescryError } from 'descry';
import type { KeyValueStore } from 'descry/store';
import type { ClassificationEngine } from './deps.js';

const MAX_DECODED = 64;

/** Store key of a classifier id. */
export function classifierKey(id: string): string {
  return `classifiers/${id}`;
}

/** Reads and writes compiled classifiers by id. */
export class StoredClassifiers {
  readonly #store: KeyValueStore;
  readonly #engine: () => Promise<Pick<ClassificationEngine, 'loadClassifier'>>;
  readonly #decoded = new Map<string, { version: string; classifier: CompiledClassifier }>();

  constructor(store: KeyValueStore, engine: () => Promise<Pick<ClassificationEngine, 'loadClassifier'>>) {
    this.#store = store;
    this.#engine = engine;
  }

  /**
   * The classifier `id`, or DescryError `not_found`. The store is read before the engine is
   * awaited, so an unknown id is answered without loading the model.
   */
  async get(id: string): Promise<{ classifier: CompiledClassifier; version: string }> {
    const entry = await this.#store.get(classifierKey(id));
    if (entry === null) {
      throw new DescryError('not_found', `no classifier with id "${id}"`, { details: { id } });
    }
    const cached = this.#decoded.get(id);
    if (cached?.version === entry.version) return cached;
    const classifier = (await this.#engine()).loadClassifier(entry.value);
    this.#remember(id, { version: entry.version, classifier });
    return { classifier, version: entry.version };
  }

  /**
   * Store `classifier` under `id`, replacing any previous one. Returns the classifier as stored:
   * decoded from the bytes written (float16 weights by default), which is what every later read,
   * here or in another isolate, gets; state derived from its weights (a TFUP cache) must be built
   * from this one, not from the float32 original, or it would not match them. With `ifVersion`,
   * the write fails with StoreError `store_conflict` unless `id` is still at that version.
   */
  async put(
    id: string,
    classifier: CompiledClassifier,
    options: { ifVersion?: string } = {},
  ): Promise<{ version: string; bytes: number; classifier: CompiledClassifier }> {
    const bytes = classifier.toBytes();
    const stored = CompiledClassifier.fromBytes(bytes, classifier.fingerprint);
    const { version } = await this.#store.put(
      classifierKey(id),
      bytes,
      options.ifVersion === undefined ? {} : { ifVersion: options.ifVersion },
    );
    this.#remember(id, { version, classifier: stored });
    return { version, bytes: bytes.byteLength, classifier: stored };
  }

  /** Whether `id` exists (without decoding it). */
  async has(id: string): Promise<boolean> {
    return (await this.#store.get(classifierKey(id))) !== null;
  }

  async delete(id: string): Promise<void> {
    this.#decoded.delete(id);
    await this.#store.delete(classifierKey(id));
  }

  #remember(id: string, value: { version: string; classifier: CompiledClassifier }): void {
    this.#decoded.delete(id);
    this.#decoded.set(id, value);
    // Map iteration order is insertion order, so the first key is the least recently stored.
    if (this.#decoded.size > MAX_DECODED) {
      const oldest = this.#decoded.keys().next().value;
      if (oldest !== undefined) this.#decoded.delete(oldest);
    }
  }
}
