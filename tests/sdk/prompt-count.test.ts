/**
 * `promptCount` is what a budget refuses by before any prompt string exists, so it must be exactly
 * `promptsOf(spec).length` for every spec, and fail where `promptsOf` fails: labels repeated or
 * blank, descriptors for labels absent or blank, subclasses and their own templates.
 */

import { type ClassifierSpec, promptCount, promptsOf } from 'descry';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const word = fc.constantFrom('cat', 'dog', ' cat', 'fox ', 'owl', '', '  ', 'hen');
const words = (max: number) => fc.array(word, { maxLength: max });

const spec: fc.Arbitrary<ClassifierSpec> = fc
  .record(
    {
      labels: words(5),
      templates: words(3).map((list) => list.map((w) => `a ${w} {}`)),
      descriptors: fc.dictionary(word, words(4)),
      subclasses: fc.dictionary(word, words(3)),
      subclassTemplates: words(2).map((list) => list.map((w) => `{} ${w}`)),
    },
    { requiredKeys: ['labels'] },
  )
  .map((s) => s as ClassifierSpec);

function outcome(count: () => number): number | string {
  try {
    return count();
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe('promptCount', () => {
  it('is promptsOf(spec).length, or the same typed error, for any spec', () => {
    fc.assert(
      fc.property(spec, (s) => {
        expect(outcome(() => promptCount(s))).toEqual(outcome(() => promptsOf(s).length));
      }),
      { numRuns: 500 },
    );
  });

  it('counts 24,576 prompts of a text-heavy request', () => {
    const labels = Array.from({ length: 256 }, (_, i) => `label ${i}`);
    const descriptors = Object.fromEntries(
      labels.map((l) => [l, Array.from({ length: 64 }, (_, i) => `d${i}`)]),
    );
    const templates = Array.from({ length: 32 }, (_, i) => `photo ${i} of {}`);
    expect(promptCount({ labels, templates, descriptors })).toBe(256 * 32 + 256 * 64);
  });
});
