import { isDescryError } from 'descry';
import {
  getJson,
  type KeyValueStore,
  MemoryStore,
  type PutOptions,
  putJson,
  updateJsonWithRetry,
  updateWithRetry,
} from 'descry/store';
import { describe, expect, it } from 'vitest';

/** A store where someone else always writes between our read and our write. */
class ContestedStore extends MemoryStore implements KeyValueStore {
  override async put(key: string, value: Uint8Array | string, options?: PutOptions) {
    if (options?.ifVersion !== undefined) await super.put(key, 'someone else');
    // Awaited, not returned: workerd reports a rejected promise handed on by `return` as unhandled.
    return await super.put(key, value, options);
  }
}

describe('updateWithRetry', () => {
  it('creates a missing entry and updates an existing one', async () => {
    const store = new MemoryStore();
    await updateJsonWithRetry<string[]>(store, 'list', (items) => [...(items ?? []), 'a']);
    await updateJsonWithRetry<string[]>(store, 'list', (items) => [...(items ?? []), 'b']);
    expect((await getJson<string[]>(store, 'list'))?.value).toEqual(['a', 'b']);
  });

  it('leaves the entry alone when the update returns undefined', async () => {
    const store = new MemoryStore();
    const { version } = await putJson(store, 'k', 1);
    const outcome = await updateJsonWithRetry<number>(store, 'k', () => undefined);
    expect(outcome).toEqual({ version, written: false, attempts: 1 });
  });

  it('retries a lost race and gives up with store_conflict after the allowed attempts', async () => {
    const store = new ContestedStore();
    let calls = 0;
    const failure = await updateWithRetry(
      store,
      'k',
      () => {
        calls += 1;
        return 'mine';
      },
      { attempts: 3, backoffMs: 1 },
    ).catch((error: unknown) => error);
    expect(isDescryError(failure) && failure.code).toBe('store_conflict');
    expect(calls).toBe(3);
  });

  it('surfaces a corrupt JSON entry as store_failed', async () => {
    const store = new MemoryStore();
    await store.put('bad', '{not json');
    const failure = await updateJsonWithRetry(store, 'bad', () => 1).catch((error: unknown) => error);
    expect(isDescryError(failure) && failure.code).toBe('store_failed');
  });

  it('serialises 20 concurrent appends without losing one', async () => {
    const store = new MemoryStore();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        updateJsonWithRetry<number[]>(
          store,
          'features',
          async (items) => {
            // Yield so that the writers genuinely interleave between read and write.
            await new Promise((resolve) => setTimeout(resolve, 0));
            return [...(items ?? []), i];
          },
          { attempts: 100, backoffMs: 2 },
        ),
      ),
    );
    const stored = (await getJson<number[]>(store, 'features'))?.value ?? [];
    expect([...stored].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
