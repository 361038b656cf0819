import { applyTemplate, EMOJI_TEMPLATES, InvalidInputError, TRANSFORMERS_JS_TEMPLATE } from 'descry';
import { describe, expect, it } from 'vitest';
import { descriptorClause, descriptorPrompt, descriptorPrompts } from '../../sdk/text/descriptor-prompts.js';

describe('descriptorClause (Menon & Vondrick rules)', () => {
  it.each([
    ['a long tail', 'which is a long tail'], // rule 1: article
    ['an orange beak', 'which is an orange beak'], // rule 1: article
    ['antennae', 'which has antennae'], // starts with "a" but is no article: rule 4 (our deviation)
    ['has four legs', 'which has four legs'], // rule 2
    ['often found near water', 'which often found near water'], // rule 2, verbatim as in their code
    ['typically brown', 'which typically brown'], // rule 2
    ['may have spots', 'which may have spots'], // rule 2
    ['can be red', 'which can be red'], // rule 2
    ['used for cooking', 'which is used for cooking'], // rule 3
    ['canopy of leaves', 'which has canopy of leaves'], // "can" only as a whole word
    ['hasp on the lid', 'which has hasp on the lid'], // "has" only as a whole word
    ['four legs', 'which has four legs'], // rule 4
    ['A long tail', 'which has A long tail'], // case-sensitive, as in their code
    ['  has wings  ', 'which has wings'], // trimmed
  ])('%j → %j', (descriptor, clause) => {
    expect(descriptorClause(descriptor)).toBe(clause);
  });

  it('rejects a blank descriptor', () => {
    expect(() => descriptorClause('  ')).toThrow(InvalidInputError);
  });

  it('puts the class first and appends the suffix', () => {
    expect(descriptorPrompt('bee', 'antennae')).toBe('bee, which has antennae');
    expect(descriptorPrompt('pan', 'used for cooking', '.')).toBe('pan, which is used for cooking.');
  });

  it('builds prompts per class, skipping blank descriptors and keeping empty classes', () => {
    const prompts = descriptorPrompts({ cat: ['whiskers', ' ', 'a long tail'], rock: [] });
    expect(prompts.get('cat')).toEqual([
      { descriptor: 'whiskers', prompt: 'cat, which has whiskers' },
      { descriptor: 'a long tail', prompt: 'cat, which is a long tail' },
    ]);
    expect(prompts.get('rock')).toEqual([]);
  });
});

describe('applyTemplate', () => {
  it('fills {} and {label} slots literally', () => {
    expect(applyTemplate(TRANSFORMERS_JS_TEMPLATE, 'cat')).toBe('This is a photo of cat');
    expect(applyTemplate('{label} and {}', 'dog')).toBe('dog and dog');
    // A replacement string would turn "$&" into the matched slot.
    expect(applyTemplate('a {}', '$& money')).toBe('a $& money');
  });

  it('rejects a template without a slot', () => {
    expect(() => applyTemplate('a photo', 'cat')).toThrow(InvalidInputError);
  });

  it('ships usable emoji templates', () => {
    for (const template of EMOJI_TEMPLATES) expect(applyTemplate(template, 'cat')).toContain('cat');
  });
});
