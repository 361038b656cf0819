import { isDescryError } from 'descry';
import { staticSource } from 'descry/llm';
import { describe, expect, it } from 'vitest';

async function codeOf(run: () => unknown): Promise<string | undefined> {
  try {
    await run();
    return undefined;
  } catch (error) {
    return isDescryError(error) ? error.code : 'untyped';
  }
}

const data = {
  descriptors: { pug: ['wrinkled face', 'curled tail'] },
  pairs: [
    {
      classes: ['pug', 'beagle'],
      attributes: [
        { attr_type: 'snout', prompt_pair: ['a pug with a flat snout', 'a beagle with a long snout'] },
      ],
    },
  ],
};

describe('staticSource', () => {
  it('serves descriptors and pairs in canonical orientation, asked in either order', async () => {
    const source = staticSource(data);
    expect(await source.descriptors('pug')).toEqual(['wrinkled face', 'curled tail']);
    const expected = {
      classes: ['beagle', 'pug'],
      attributes: [
        { attr_type: 'snout', prompt_pair: ['a beagle with a long snout', 'a pug with a flat snout'] },
      ],
    };
    expect(await source.pairDescriptions('pug', 'beagle')).toEqual(expected);
    expect(await source.pairDescriptions('beagle', 'pug')).toEqual(expected);
  });

  it('pools attributes of a pair listed twice in opposite orders', async () => {
    const source = staticSource({
      pairs: [
        { classes: ['a', 'b'], attributes: [{ attr_type: 'x', prompt_pair: ['a-x', 'b-x'] }] },
        { classes: ['b', 'a'], attributes: [{ attr_type: 'y', prompt_pair: ['b-y', 'a-y'] }] },
      ],
    });
    expect((await source.pairDescriptions('a', 'b')).attributes).toEqual([
      { attr_type: 'x', prompt_pair: ['a-x', 'b-x'] },
      { attr_type: 'y', prompt_pair: ['a-y', 'b-y'] },
    ]);
  });

  it('answers not_found for labels and pairs it does not have', async () => {
    const source = staticSource(data);
    expect(await codeOf(() => source.descriptors('cat'))).toBe('not_found');
    expect(await codeOf(() => source.pairDescriptions('pug', 'cat'))).toBe('not_found');
  });

  it('rejects malformed JSON with invalid_input', async () => {
    expect(await codeOf(() => staticSource({ descriptors: { pug: 'not a list' } }))).toBe('invalid_input');
    expect(await codeOf(() => staticSource({ pairs: [{ classes: ['a', 'a'], attributes: [] }] }))).toBe(
      'invalid_input',
    );
    expect(
      await codeOf(() =>
        staticSource({
          pairs: [{ classes: ['a', 'b'], attributes: [{ attr_type: 'x', prompt_pair: ['only one'] }] }],
        }),
      ),
    ).toBe('invalid_input');
    expect(await codeOf(() => staticSource('nope'))).toBe('invalid_input');
  });

  it('does not let callers mutate its data through an answer', async () => {
    const source = staticSource(data);
    const first = await source.pairDescriptions('pug', 'beagle');
    first.attributes.length = 0;
    expect((await source.pairDescriptions('pug', 'beagle')).attributes).toHaveLength(1);
  });
});
