/**
 * The behaviour every KeyValueStore must show, as a reusable suite: the memory and file stores
 * run it here, and a workerd configuration can run it against KV and R2 bindings.
 */

import { isDescryError } from 'descry';
import { getJson, type KeyValueStore, putJson, updateJsonWithRetry } from 'descry/store';
import { describe, expect, it } from 'vitest';

/** How strictly a store honours `ifVersion`: KV can only check before writing. */
export type ConditionStrength = 'atomic' | 'best-effort';

const text = new TextDecoder();

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isDescryError(error) ? error.code : `untyped: ${String(error)}`;
  }
}

/** Registers the contract tests for a store made fresh by `create` for each test. */
export function describeStoreContract(
  name: string,
  create: () => KeyValueStore | Promise<KeyValueStore>,
  strength: ConditionStrength = 'atomic',
): void {
  describe(`${name} store contract`, () => {
    it('returns null for a missing key and the bytes written for a present one', async () => {
      const store = await create();
      expect(await store.get('missing')).toBeNull();
      const bytes = new Uint8Array([0, 1, 2, 255]);
      const { version } = await store.put('bin', bytes);
      const entry = await store.get('bin');
      expect(entry?.value).toEqual(bytes);
      expect(entry?.version).toBe(version);
    });

    it('stores strings as UTF-8', async () => {
      const store = await create();
      await store.put('text', 'héllo ✓');
      const entry = await store.get('text');
      expect(text.decode(entry?.value)).toBe('héllo ✓');
    });

    it('changes the version when the content changes', async () => {
      const store = await create();
      const first = await store.put('k', 'one');
      const second = await store.put('k', 'two');
      expect(second.version).not.toBe(first.version);
      expect((await store.get('k'))?.version).toBe(second.version);
    });

    it('writes with ifVersion null only when the key does not exist', async () => {
      const store = await create();
      await store.put('fresh', 'first', { ifVersion: null });
      expect(await codeOf(store.put('fresh', 'second', { ifVersion: null }))).toBe('store_conflict');
      expect(text.decode((await store.get('fresh'))?.value)).toBe('first');
    });

    it('writes with a version only while the entry is at that version', async () => {
      const store = await create();
      const v1 = await store.put('cas', 'a');
      const v2 = await store.put('cas', 'b', { ifVersion: v1.version });
      expect(await codeOf(store.put('cas', 'c', { ifVersion: v1.version }))).toBe('store_conflict');
      expect(text.decode((await store.get('cas'))?.value)).toBe('b');
      await store.put('cas', 'd', { ifVersion: v2.version });
      expect(text.decode((await store.get('cas'))?.value)).toBe('d');
    });

    it('rejects a versioned write to a missing key', async () => {
      const store = await create();
      expect(await codeOf(store.put('absent', 'x', { ifVersion: 'some-version' }))).toBe('store_conflict');
      expect(await store.get('absent')).toBeNull();
    });

    it('deletes, and deleting a missing key is fine', async () => {
      const store = await create();
      await store.put('gone', 'x');
      await store.delete('gone');
      await store.delete('gone');
      expect(await store.get('gone')).toBeNull();
    });

    it('lists keys by prefix, sorted, including awkward characters', async () => {
      const store = await create();
      const keys = ['p/b', 'p/a', 'p/["x y","ü"]', 'p/..', 'q/a', `p/${'long-'.repeat(60)}`];
      for (const key of keys) await store.put(key, key);
      expect(await store.list('p/')).toEqual(keys.filter((k) => k.startsWith('p/')).sort());
      expect(await store.list('nothing/')).toEqual([]);
      for (const key of keys) expect(text.decode((await store.get(key))?.value)).toBe(key);
    });

    it('keeps stored bytes independent of the caller’s buffer', async () => {
      const store = await create();
      const bytes = new Uint8Array([1, 2, 3]);
      await store.put('copy', bytes);
      bytes[0] = 9;
      const entry = await store.get('copy');
      expect(entry?.value[0]).toBe(1);
    });

    it('round-trips JSON', async () => {
      const store = await create();
      await putJson(store, 'json', { a: [1, 2], b: 'c' });
      expect((await getJson(store, 'json'))?.value).toEqual({ a: [1, 2], b: 'c' });
    });

    if (strength === 'atomic') {
      it('loses no update when 20 writers increment one counter concurrently', async () => {
        const store = await create();
        const increments = Array.from({ length: 20 }, () =>
          updateJsonWithRetry<number>(store, 'counter', (n) => (n ?? 0) + 1, { attempts: 50 }),
        );
        const outcomes = await Promise.all(increments);
        expect(outcomes.every((o) => o.written)).toBe(true);
        expect((await getJson<number>(store, 'counter'))?.value).toBe(20);
      });
    }
  });
}
