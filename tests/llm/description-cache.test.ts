import { DescriptorCache, type PairDescription, PairDescriptionCache } from 'descry/llm';
import { MemoryStore } from 'descry/store';
import { describe, expect, it } from 'vitest';

const pugBeagle: PairDescription = {
  classes: ['beagle', 'pug'],
  attributes: [{ attr_type: 'snout', prompt_pair: ['long snout', 'flat snout'] }],
};

describe('PairDescriptionCache', () => {
  it('finds a pair in either order and lists cached pairs', async () => {
    const cache = new PairDescriptionCache(new MemoryStore(), 'test:model');
    expect(await cache.get('pug', 'beagle')).toBeNull();
    await cache.put(pugBeagle);
    expect(await cache.get('pug', 'beagle')).toEqual(pugBeagle);
    expect(await cache.get('beagle', 'pug')).toEqual(pugBeagle);
    expect(cache.key('pug', 'beagle')).toBe(cache.key('beagle', 'pug'));
    expect(await cache.pairs()).toEqual([['beagle', 'pug']]);
  });

  it('keeps the entries of different sources and prefixes apart', async () => {
    const store = new MemoryStore();
    await new PairDescriptionCache(store, 'llm-a').put(pugBeagle);
    expect(await new PairDescriptionCache(store, 'llm-b').get('pug', 'beagle')).toBeNull();
    expect(
      await new PairDescriptionCache(store, 'llm-a', { prefix: 'other' }).get('pug', 'beagle'),
    ).toBeNull();
  });

  it('keeps labels with separators and quotes unambiguous', async () => {
    const cache = new PairDescriptionCache(new MemoryStore(), 's');
    expect(cache.key('a,b', 'c')).not.toBe(cache.key('a', 'b,c'));
    expect(cache.key('a"/b', 'c')).not.toBe(cache.key('a', '"/b c'));
  });

  it('treats a corrupt or foreign entry as a miss', async () => {
    const store = new MemoryStore();
    const cache = new PairDescriptionCache(store, 's');
    await store.put(cache.key('pug', 'beagle'), '{"broken');
    expect(await cache.get('pug', 'beagle')).toBeNull();
    await store.put(
      cache.key('pug', 'beagle'),
      JSON.stringify({ classes: ['pug', 'beagle'], attributes: [] }),
    );
    expect(await cache.get('pug', 'beagle')).toBeNull();
  });
});

describe('DescriptorCache', () => {
  it('stores descriptors per label and per context', async () => {
    const cache = new DescriptorCache(new MemoryStore(), 's');
    await cache.put('crane', ['long neck', 'long legs'], 'bird');
    await cache.put('crane', ['steel boom'], 'machine');
    expect(await cache.get('crane', 'bird')).toEqual(['long neck', 'long legs']);
    expect(await cache.get('crane', 'machine')).toEqual(['steel boom']);
    expect(await cache.get('crane')).toBeNull();
  });
});
