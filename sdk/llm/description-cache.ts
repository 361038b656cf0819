/**
 * Caches of generated descriptions on any {@link KeyValueStore}: FuDD pair descriptions keyed by
 * the unordered pair, and descriptors and subclasses keyed by class. Keys depend only on the
 * labels and the source's identity, not on the label set or the CLIP model, so every deployment
 * and classifier that uses the same LLM shares them:
 *
 *   `<prefix>/pairs/<source id>/<pair key>`, `<prefix>/descriptors/<source id>/<label>` and
 *   `<prefix>/subclasses/<source id>/<label>` (a context, when given, before the label)
 *
 * with the source id and label percent-encoded, and the pair key `JSON.stringify([a, b].sort())`.
 * An entry that cannot be read back as the expected shape counts as a miss, so a corrupt or
 * foreign entry is regenerated rather than breaking classification.
 */

import { z } from 'zod';
import { type DescryError, isDescryError, StoreError } from '../errors.js';
import { decodeJson, type KeyValueStore, putJson } from '../store/index.js';
import type { PairDescription } from './description-source.js';
import { orderedPair, pairKey } from './pair-order.js';

/** Options of the description caches. */
export interface DescriptionCacheOptions {
  /** Key prefix shared by all caches of a deployment. Default `descry/v1`. */
  prefix?: string;
}

const DEFAULT_PREFIX = 'descry/v1';

const pairDescriptionSchema = z.object({
  classes: z.tuple([z.string(), z.string()]),
  attributes: z
    .array(z.object({ attr_type: z.string(), prompt_pair: z.tuple([z.string(), z.string()]) }))
    .min(1),
});

const descriptorsSchema = z.array(z.string().min(1)).min(1);

/** A failed cache read or write as a typed error, for callers that carry on without the cache. */
export function cacheFailure(error: unknown): DescryError {
  return isDescryError(error) ? error : new StoreError('store_failed', String(error), { cause: error });
}

/** The entry under `key` if it has `schema`'s shape; `null` when missing or unreadable. I/O errors propagate. */
async function readOrMiss<T>(store: KeyValueStore, key: string, schema: z.ZodType<T>): Promise<T | null> {
  const entry = await store.get(key);
  if (entry === null) return null;
  try {
    return schema.parse(decodeJson(key, entry.value));
  } catch {
    return null;
  }
}

/** FuDD pair descriptions of one description source, cached per unordered pair. */
export class PairDescriptionCache {
  readonly #store: KeyValueStore;
  readonly #base: string;

  /** `sourceId` is the {@link DescriptionSource.id} that generated (or will generate) the entries. */
  constructor(store: KeyValueStore, sourceId: string, options: DescriptionCacheOptions = {}) {
    this.#store = store;
    this.#base = `${options.prefix ?? DEFAULT_PREFIX}/pairs/${encodeURIComponent(sourceId)}/`;
  }

  /** The store key of the pair `a`, `b` (either order). */
  key(a: string, b: string): string {
    return this.#base + pairKey(a, b);
  }

  /** The cached descriptions of the pair, in canonical order, or `null`. */
  async get(a: string, b: string): Promise<PairDescription | null> {
    const found = await readOrMiss(this.#store, this.key(a, b), pairDescriptionSchema);
    const [first, second] = orderedPair(a, b);
    if (found === null || found.classes[0] !== first || found.classes[1] !== second) return null;
    return found;
  }

  /** Stores `description` (last writer wins: two generations of one pair are equally good). */
  async put(description: PairDescription): Promise<void> {
    await putJson(this.#store, this.key(...description.classes), description);
  }

  /** Every cached pair, in canonical order. */
  async pairs(): Promise<Array<[string, string]>> {
    const keys = await this.#store.list(this.#base);
    const pairs: Array<[string, string]> = [];
    for (const key of keys) {
      const parsed = z.tuple([z.string(), z.string()]).safeParse(safeJson(key.slice(this.#base.length)));
      if (parsed.success) pairs.push(parsed.data);
    }
    return pairs;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A non-empty list of strings per class label, under `<prefix>/<kind>/<source id>/`. */
class LabelListCache {
  readonly #store: KeyValueStore;
  readonly #base: string;

  constructor(store: KeyValueStore, kind: string, sourceId: string, options: DescriptionCacheOptions) {
    this.#store = store;
    this.#base = `${options.prefix ?? DEFAULT_PREFIX}/${kind}/${encodeURIComponent(sourceId)}/`;
  }

  /** The store key of `label`'s list. Context-specific lists pass their context. */
  key(label: string, context?: string): string {
    const scope = context === undefined ? '' : `${encodeURIComponent(context)}/`;
    return `${this.#base}${scope}${encodeURIComponent(label)}`;
  }

  /** The cached list of `label`, or `null`. */
  async get(label: string, context?: string): Promise<string[] | null> {
    return readOrMiss(this.#store, this.key(label, context), descriptorsSchema);
  }

  /** Stores `list` for `label`. */
  async put(label: string, list: string[], context?: string): Promise<void> {
    await putJson(this.#store, this.key(label, context), list);
  }
}

/** Descriptors of one description source, cached per class label. */
export class DescriptorCache extends LabelListCache {
  constructor(store: KeyValueStore, sourceId: string, options: DescriptionCacheOptions = {}) {
    super(store, 'descriptors', sourceId, options);
  }
}

/** Subclasses (CHiLS) of one description source, cached per class label. */
export class SubclassCache extends LabelListCache {
  constructor(store: KeyValueStore, sourceId: string, options: DescriptionCacheOptions = {}) {
    super(store, 'subclasses', sourceId, options);
  }
}
