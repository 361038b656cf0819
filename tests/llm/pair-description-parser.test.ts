import { isDescryError } from 'descry';
import { normalizePairAnswer, type PairAnswer, pairAnswerSchema, parsePairDescriptionText } from 'descry/llm';
import { describe, expect, it } from 'vitest';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return isDescryError(error) ? error.code : 'untyped';
  }
}

describe('pair descriptions', () => {
  it('orients prompt_pair by the canonical pair order, whatever order was asked', () => {
    const answer = {
      attributes: [
        { attr_type: 'coat', descriptions: { pug: 'a pug with a short coat', beagle: 'a beagle coat' } },
      ],
    };
    const asked = normalizePairAnswer(answer, 'pug', 'beagle');
    expect(asked.classes).toEqual(['beagle', 'pug']);
    expect(asked.attributes[0]?.prompt_pair).toEqual(['a beagle coat', 'a pug with a short coat']);
    expect(normalizePairAnswer(answer, 'beagle', 'pug')).toEqual(asked);
  });

  it('validates structured answers with the pair schema', () => {
    const schema = pairAnswerSchema('cat', 'dog');
    expect(
      schema.safeParse({ attributes: [{ attr_type: 'ears', descriptions: { cat: 'x', dog: 'y' } }] }).success,
    ).toBe(true);
    expect(
      schema.safeParse({ attributes: [{ attr_type: 'ears', descriptions: { cat: 'x' } }] }).success,
    ).toBe(false);
    expect(schema.safeParse({ attributes: [] }).success).toBe(false);
  });

  it('matches class keys case-insensitively and drops incomplete or repeated attributes', () => {
    const answer: PairAnswer = {
      attributes: [
        { attr_type: 'Ears', descriptions: { Cat: 'pointed ears', DOG: 'floppy ears' } },
        { attr_type: 'ears', descriptions: { cat: 'again', dog: 'again' } },
        { attr_type: 'tail', descriptions: { cat: 'only one side' } },
      ],
    };
    expect(normalizePairAnswer(answer, 'cat', 'dog').attributes).toEqual([
      { attr_type: 'Ears', prompt_pair: ['pointed ears', 'floppy ears'] },
    ]);
  });

  it('rejects an answer without a usable attribute as llm_output_invalid', () => {
    expect(codeOf(() => normalizePairAnswer({ attributes: [] }, 'cat', 'dog'))).toBe('llm_output_invalid');
  });

  it('finds JSON inside prose and code fences', () => {
    const text = `Sure! Here is the comparison:
\`\`\`json
{"attributes": [{"attr_type": "snout", "descriptions": {"pug": "a photo of a pug, with a flat snout.", "beagle": "a photo of a beagle, with a long snout."}}]}
\`\`\`
Hope that helps.`;
    const parsed = parsePairDescriptionText(text, 'pug', 'beagle');
    expect(parsed.attributes).toEqual([
      {
        attr_type: 'snout',
        prompt_pair: ['a photo of a beagle, with a long snout.', 'a photo of a pug, with a flat snout.'],
      },
    ]);
  });

  it('reads the line format and its markdown variants', () => {
    const text = `Here are the differences:

1. **Ear shape**
   - **Siamese cat**: a photo of a Siamese cat, which has large pointed ears.
   - **Persian cat**: a photo of a Persian cat, which has small rounded ears.

Attribute: coat length
Siamese cat: a photo of a Siamese cat, which has a short sleek coat.
Persian cat - a photo of a Persian cat, which has a long fluffy coat.`;
    const parsed = parsePairDescriptionText(text, 'Siamese cat', 'Persian cat');
    expect(parsed.classes).toEqual(['Persian cat', 'Siamese cat']);
    expect(parsed.attributes).toEqual([
      {
        attr_type: 'Ear shape',
        prompt_pair: [
          'a photo of a Persian cat, which has small rounded ears.',
          'a photo of a Siamese cat, which has large pointed ears.',
        ],
      },
      {
        attr_type: 'coat length',
        prompt_pair: [
          'a photo of a Persian cat, which has a long fluffy coat.',
          'a photo of a Siamese cat, which has a short sleek coat.',
        ],
      },
    ]);
  });

  it('prefers the longer class name when one is a prefix of the other', () => {
    const text = 'Attribute: size\ncat: a small cat\ncat food: a bag of cat food';
    const parsed = parsePairDescriptionText(text, 'cat', 'cat food');
    expect(parsed.attributes[0]?.prompt_pair).toEqual(['a small cat', 'a bag of cat food']);
  });

  it('rejects text with neither JSON nor the line format', () => {
    expect(codeOf(() => parsePairDescriptionText('They look quite different.', 'cat', 'dog'))).toBe(
      'llm_output_invalid',
    );
  });
});
