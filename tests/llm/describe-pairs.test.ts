import { StoreError } from 'descry';
import {
  type DescriptionSource,
  describeClasses,
  describePairs,
  type PairDescription,
  PairDescriptionCache,
  precomputePairs,
  staticSource,
} from 'descry/llm';
import { type KeyValueStore, MemoryStore } from 'descry/store';
import { describe, expect, it } from 'vitest';

/** A store whose backend is down. */
class BrokenStore extends MemoryStore implements KeyValueStore {
  override async get(): Promise<never> {
    throw new StoreError('store_failed', 'backend unavailable');
  }
  override async put(): Promise<never> {
    throw new StoreError('store_failed', 'backend unavailable');
  }
}

const data = {
  descriptors: { cat: ['whiskers'], dog: ['wet nose'] },
  pairs: [
    { classes: ['cat', 'dog'], attributes: [{ attr_type: 'ears', prompt_pair: ['cat ears', 'dog ears'] }] },
    { classes: ['cat', 'fox'], attributes: [{ attr_type: 'tail', prompt_pair: ['cat tail', 'fox tail'] }] },
  ],
};

/** A source that never answers and ignores cancellation, like a stuck provider. */
function stuckFor(labels: string[], inner: DescriptionSource): DescriptionSource {
  const never = new Promise<never>(() => {});
  return {
    id: 'stuck',
    descriptors: (label, options) => (labels.includes(label) ? never : inner.descriptors(label, options)),
    pairDescriptions: (a, b, options) =>
      labels.includes(a) || labels.includes(b) ? never : inner.pairDescriptions(a, b, options),
  };
}

/** Counts the calls that reach the source. */
function counting(inner: DescriptionSource): DescriptionSource & { calls: number } {
  const source = {
    id: inner.id,
    calls: 0,
    descriptors: (label: string) => {
      source.calls += 1;
      return inner.descriptors(label);
    },
    pairDescriptions: (a: string, b: string) => {
      source.calls += 1;
      return inner.pairDescriptions(a, b);
    },
  };
  return source;
}

describe('describePairs', () => {
  it('returns descriptions it got and the pairs that failed, deduplicating pairs', async () => {
    const result = await describePairs(staticSource(data), [
      ['dog', 'cat'],
      ['cat', 'dog'],
      ['cat', 'fox'],
      ['dog', 'fox'],
      ['cat', 'cat'],
    ]);
    expect(result.descriptions.map((d) => d.classes)).toEqual([
      ['cat', 'dog'],
      ['cat', 'fox'],
    ]);
    expect(result.failed.map((f) => [f.pair, f.error.code])).toEqual([
      [['cat', 'cat'], 'invalid_input'],
      [['dog', 'fox'], 'not_found'],
    ]);
  });

  it('returns by the deadline even when the source hangs, keeping what arrived', async () => {
    const source = stuckFor(['fox'], staticSource(data));
    const result = await describePairs(
      source,
      [
        ['cat', 'fox'],
        ['cat', 'dog'],
      ],
      { deadlineMs: 100, concurrency: 2 },
    );
    expect(result.descriptions.map((d) => d.classes)).toEqual([['cat', 'dog']]);
    expect(result.failed.map((f) => [f.pair, f.error.code])).toEqual([[['cat', 'fox'], 'llm_timeout']]);
  });

  it('marks pairs never started before the deadline as llm_timeout', async () => {
    const source = stuckFor(['fox'], staticSource(data));
    const result = await describePairs(
      source,
      [
        ['cat', 'fox'],
        ['cat', 'dog'],
      ],
      { deadlineMs: 50, concurrency: 1 },
    );
    expect(result.descriptions).toEqual([]);
    expect(result.failed.map((f) => f.error.code)).toEqual(['llm_timeout', 'llm_timeout']);
  });

  it('reads the cache first and writes what the source answered', async () => {
    const cache = new PairDescriptionCache(new MemoryStore(), 'static');
    const source = counting(staticSource(data));
    const first = await describePairs(source, [['dog', 'cat']], { cache });
    const second = await describePairs(source, [['cat', 'dog']], { cache });
    expect(source.calls).toBe(1);
    expect(first.fromCache).toBe(0);
    expect(second.fromCache).toBe(1);
    expect(second.descriptions).toEqual(first.descriptions);
  });
});

describe('describePairs with a broken cache', () => {
  it('asks the source anyway and reports the cache errors', async () => {
    const cache = new PairDescriptionCache(new BrokenStore(), 'static');
    const result = await describePairs(staticSource(data), [['dog', 'cat']], { cache });
    expect(result.descriptions.map((d) => d.classes)).toEqual([['cat', 'dog']]);
    expect(result.failed).toEqual([]);
    expect(result.cacheErrors.map((e) => e.code)).toEqual(['store_failed', 'store_failed']);
  });
});

describe('describeClasses', () => {
  it('collects descriptors and reports labels without any', async () => {
    const result = await describeClasses(staticSource(data), ['cat', 'dog', 'cat', 'emu']);
    expect(result.descriptors).toEqual({ cat: ['whiskers'], dog: ['wet nose'] });
    expect(result.failed.map((f) => [f.label, f.error.code])).toEqual([['emu', 'not_found']]);
  });
});

describe('precomputePairs', () => {
  it('fills the cache with every pair, skips cached ones on a rerun and reports progress', async () => {
    const cache = new PairDescriptionCache(new MemoryStore(), 'static');
    const source = counting(staticSource(data));
    const progress: string[] = [];
    const report = await precomputePairs(source, cache, ['cat', 'dog', 'fox'], {
      concurrency: 2,
      onProgress: (p) => progress.push(`${p.done}/${p.total} ${p.status}`),
    });
    expect(report.total).toBe(3);
    expect(report.generated).toBe(2);
    expect(report.failed.map((f) => f.pair)).toEqual([['dog', 'fox']]);
    expect(progress).toHaveLength(3);
    expect(progress.at(-1)).toMatch(/^3\/3 /);
    const cached: PairDescription | null = await cache.get('dog', 'cat');
    expect(cached?.attributes[0]?.prompt_pair).toEqual(['cat ears', 'dog ears']);

    const rerun = await precomputePairs(source, cache, ['cat', 'dog', 'fox'], { pairs: [['dog', 'cat']] });
    expect(rerun).toMatchObject({ total: 1, cached: 1, generated: 0 });
    expect(source.calls).toBe(3);
  });

  it('rejects explicit pairs outside the label set', async () => {
    const cache = new PairDescriptionCache(new MemoryStore(), 'static');
    await expect(
      precomputePairs(staticSource(data), cache, ['cat'], { pairs: [['cat', 'dog']] }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
    });
  });
});
