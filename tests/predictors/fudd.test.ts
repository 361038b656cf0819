import { InvalidInputError } from 'descry';
import { matrixFromRows } from 'descry/predictors';
import { describe, expect, it } from 'vitest';
import {
  ambiguousSet,
  collectClassTexts,
  fuddScores,
  orderedPair,
  type PairAttributes,
  pairKey,
} from '../../sdk/predictors/fudd.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);

describe('ambiguousSet', () => {
  it('takes the top k, best first, ties to the lower index', () => {
    expect(ambiguousSet([0.1, 0.5, 0.3, 0.5], 2)).toEqual([1, 3]);
  });

  it('clamps k to the label count and to at least 1', () => {
    expect(ambiguousSet([0.1, 0.5, 0.3])).toEqual([1, 2, 0]); // default k = 10 > 3
    expect(ambiguousSet([0.1, 0.5, 0.3], 0)).toEqual([1]);
  });

  it('rejects an empty label set', () => {
    expect(() => ambiguousSet([])).toThrow(InvalidInputError);
  });
});

describe('pairKey', () => {
  it('is order-independent', () => {
    expect(pairKey('pug', 'beagle')).toBe(pairKey('beagle', 'pug'));
    expect(orderedPair('pug', 'beagle')).toEqual(['beagle', 'pug']);
  });

  it('does not collide on separators or quotes', () => {
    expect(pairKey('a,b', 'c')).not.toBe(pairKey('a', 'b,c'));
    expect(pairKey('a"', 'b')).not.toBe(pairKey('a', '"b'));
  });
});

describe('collectClassTexts', () => {
  // Stored under the canonical order ["beagle", "pug"]: prompt_pair[0] is the beagle's side.
  const store: Record<string, PairAttributes> = {
    [pairKey('pug', 'beagle')]: {
      attributes: [
        { attr_type: 'coat', prompt_pair: ['a beagle with a tricolour coat.', 'a pug with a fawn coat.'] },
        { attr_type: 'face', prompt_pair: ['a beagle with a long muzzle.', 'a pug with a flat face.'] },
        // repeated text: kept once
        {
          attr_type: 'coat again',
          prompt_pair: ['a beagle with a tricolour coat.', 'a pug with a fawn coat.'],
        },
      ],
    },
  };

  it('gives each class its own side whatever order A lists them in', () => {
    for (const names of [
      ['pug', 'beagle'],
      ['beagle', 'pug'],
    ]) {
      const texts = collectClassTexts(names, store);
      const byName = Object.fromEntries(names.map((name, i) => [name, texts[i]]));
      expect(byName.beagle).toEqual(['a beagle with a tricolour coat.', 'a beagle with a long muzzle.']);
      expect(byName.pug).toEqual(['a pug with a fawn coat.', 'a pug with a flat face.']);
    }
  });

  it('falls back to "a photo of a {class}." for a missing pair, once per class', () => {
    // pairs: (pug, beagle) stored; (pug, corgi) and (beagle, corgi) missing
    const texts = collectClassTexts(['pug', 'beagle', 'corgi'], new Map(Object.entries(store)));
    expect(texts[0]).toEqual(['a pug with a fawn coat.', 'a pug with a flat face.', 'a photo of a pug.']);
    expect(texts[2]).toEqual(['a photo of a corgi.']);
  });

  it('accepts a lookup function and treats an empty attribute list as missing', () => {
    const texts = collectClassTexts(['x', 'y'], () => ({ attributes: [] }));
    expect(texts).toEqual([['a photo of a x.'], ['a photo of a y.']]);
  });

  it('never resolves a key to an Object.prototype member', () => {
    expect(collectClassTexts(['constructor', 'toString'], {})).toEqual([
      ['a photo of a constructor.'],
      ['a photo of a toString.'],
    ]);
  });

  it('gives a lone class its fallback text', () => {
    expect(collectClassTexts(['cat'], {})).toEqual([['a photo of a cat.']]);
  });

  it('rejects repeated names and malformed entries', () => {
    expect(() => collectClassTexts(['a', 'a'], {})).toThrow(InvalidInputError);
    const broken = { [pairKey('a', 'b')]: { attributes: [{ attr_type: 'x', prompt_pair: ['only one'] }] } };
    expect(() => collectClassTexts(['a', 'b'], broken as unknown as Record<string, PairAttributes>)).toThrow(
      InvalidInputError,
    );
  });
});

describe('fuddScores', () => {
  // First pass over 4 classes: (0.9, 0.8, 0.1, 0.7) → A (k = 2) = [0, 1].
  // Follow-up embeddings: class 0 at 90°, class 1 at 0°; image at 0° → follow-up cosines 0 and 1.
  const firstPass = f32(0.9, 0.8, 0.1, 0.7);
  const ambiguous = ambiguousSet(firstPass, 2);
  const embeddings = matrixFromRows([f32(0, 1), f32(1, 0)]);

  it('re-ranks A by the follow-up cosine and keeps the rest below A in first-pass order', () => {
    const result = fuddScores(f32(2, 0), ambiguous, embeddings, firstPass, { logitScale: 2 });
    // class 3 (first pass 0.7) outranks class 0's follow-up 0 numerically, yet stays below A
    expect(result.order).toEqual([1, 0, 3, 2]);
    expect(result.cosine[0]).toBeCloseTo(0, 6);
    expect(result.cosine[1]).toBeCloseTo(1, 6);
    expect(result.cosine[3]).toBeCloseTo(0.7, 6);
    // softmax over A of 2·(0, 1) = (1, e²)/(1 + e²); 0 outside A
    expect(result.score[1]).toBeCloseTo(Math.exp(2) / (1 + Math.exp(2)), 6);
    expect(result.score[0]).toBeCloseTo(1 / (1 + Math.exp(2)), 6);
    expect(result.score[3]).toBe(0);
    expect(result.logit[1]).toBeCloseTo(2, 6);
  });

  it('keeps first-pass order for tied follow-up cosines', () => {
    // both follow-up embeddings at 45° from the image → tie → A's own order [0, 1]
    const tied = matrixFromRows([f32(Math.SQRT1_2, Math.SQRT1_2), f32(Math.SQRT1_2, -Math.SQRT1_2)]);
    expect(fuddScores(f32(1, 0), ambiguous, tied, firstPass).order).toEqual([0, 1, 3, 2]);
  });

  it('rejects an empty, repeated or out-of-range A and mismatched shapes', () => {
    const image = f32(1, 0);
    expect(() => fuddScores(image, [], matrixFromRows([], 2), firstPass)).toThrow(InvalidInputError);
    expect(() => fuddScores(image, [0, 0], embeddings, firstPass)).toThrow(InvalidInputError);
    expect(() => fuddScores(image, [0, 9], embeddings, firstPass)).toThrow(InvalidInputError);
    expect(() => fuddScores(image, [0], embeddings, firstPass)).toThrow(InvalidInputError);
    expect(() => fuddScores(f32(1, 0, 0), ambiguous, embeddings, firstPass)).toThrow(InvalidInputError);
  });
});
