/**
 * Subclass generation (method 'subclasses', CHiLS): the parser of LLM answers, the static source,
 * the per-label cache, and `describeSubclasses`, which turns per-label answers into a map that
 * compiling accepts (a name claimed by two labels is dropped from both).
 */

import {
  type DescriptionSource,
  describeSubclasses,
  parseSubclassList,
  SubclassCache,
  staticSource,
} from 'descry/llm';
import { subclassLists } from 'descry/predictors';
import { MemoryStore } from 'descry/store';
import { describe, expect, it } from 'vitest';

describe('parseSubclassList', () => {
  it.each([
    ['a comma list', 'beagle, pug, border collie', ['beagle', 'pug', 'border collie']],
    ['a comma list ending in "and …."', 'beagle, pug, and dachshund.', ['beagle', 'pug', 'dachshund']],
    ['the prompt echoed', '>dog: beagle, pug', ['beagle', 'pug']],
    [
      'a numbered list with chatter',
      'Sure! Here you go:\n1. Beagle\n2. Pug\n\nHope this helps!',
      ['Beagle', 'Pug'],
    ],
    ['one name per line', 'beagle\npug', ['beagle', 'pug']],
    ['repeats in any case', '- Pug\n- pug\n- PUG', ['Pug']],
    ['names with digits and hyphens', '7-eleven, t-shirt', ['7-eleven', 't-shirt']],
  ])('reads %s', (_, text, expected) => {
    expect(parseSubclassList(text)).toEqual(expected);
  });

  it('keeps at most maxItems names, and nothing from chatter alone', () => {
    expect(parseSubclassList('a, b, c, d', { maxItems: 2 })).toEqual(['a', 'b']);
    expect(parseSubclassList("I'm sorry, I can't help with that!")).toEqual([]);
  });
});

describe('describeSubclasses', () => {
  const source = staticSource({
    subclasses: {
      cat: ['tabby', 'kitten', 'siamese'],
      pet: ['kitten', 'goldfish', 'Cat'],
      fish: ['goldfish'],
    },
  });

  it('drops a name two labels claim (listed under both, or a label itself) and leaves out a label left empty', async () => {
    const result = await describeSubclasses(source, ['cat', 'pet', 'fish', 'dog']);
    expect(result.subclasses).toEqual({ cat: ['tabby', 'siamese'] });
    expect(result.dropped).toEqual(
      expect.arrayContaining([
        { subclass: 'kitten', labels: ['cat', 'pet'] },
        { subclass: 'goldfish', labels: ['pet', 'fish'] },
        { subclass: 'Cat', labels: ['pet'] },
      ]),
    );
    expect(result.failed.map((f) => [f.label, f.error.code])).toEqual([['dog', 'not_found']]);
    expect(() => subclassLists(['cat', 'pet', 'fish', 'dog'], result.subclasses)).not.toThrow();
  });

  it('reads and writes the cache per label, keyed apart from descriptors', async () => {
    const store = new MemoryStore();
    const cache = new SubclassCache(store, source.id);
    let calls = 0;
    const counting: DescriptionSource = {
      ...source,
      subclasses: async (label, options) => {
        calls += 1;
        return source.subclasses!(label, options);
      },
    };
    await describeSubclasses(counting, ['cat'], { cache });
    const again = await describeSubclasses(counting, ['cat'], { cache });
    expect(calls).toBe(1);
    expect(again.fromCache).toBe(1);
    expect(await cache.get('cat')).toEqual(['tabby', 'kitten', 'siamese']);
    expect(cache.key('cat')).toBe('descry/v1/subclasses/static/cat');
    expect(cache.key('cat', 'pet')).toBe('descry/v1/subclasses/static/pet/cat');
  });

  it('refuses a source that cannot generate subclasses', async () => {
    const { subclasses: _, ...without } = source;
    await expect(describeSubclasses(without, ['cat'])).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
