/**
 * FuDD's request-time orchestration (sdk/methods/follow-up.ts) on hand-made 2-D embeddings: which pairs it
 * asks for, how it degrades, and the two poolings. Texts embed by a lookup table, so every
 * expected score is worked out by hand below.
 */

import type { Matrix } from 'descry';
import { CompiledClassifier } from 'descry';
import type { DescriptionSource } from 'descry/llm';
import { staticSource } from 'descry/llm';
import { describe, expect, it } from 'vitest';
import { classifyWithFudd, confusedPairs } from '../../sdk/methods/follow-up.js';

const unit = (deg: number) => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];
const matrix = (rows: number[][]): Matrix => ({
  rows: rows.length,
  cols: 2,
  data: Float32Array.from(rows.flat()),
});

// Classes at 0°, 20° and 90°; the image at 12° is closest to b (8° away) in the first pass.
const classifier = new CompiledClassifier({
  labels: ['a', 'b', 'c'],
  templates: ['{}'],
  weights: matrix([unit(0), unit(20), unit(90)]),
  fingerprint: 'f',
  model: 'm',
});
const image = matrix([unit(12)]);
const scoring = { logitScale: 100, logitBias: 0, activation: 'softmax' as const };
const angles: Record<string, number> = { 'a one': 10, 'a two': -60, 'b one': 40, 'b two': 45, 'c one': 90 };
const embedTexts = async (texts: readonly string[]) => matrix(texts.map((t) => unit(angles[t] ?? 0)));
const pairs = staticSource({
  pairs: [
    {
      classes: ['a', 'b'],
      attributes: [
        { attr_type: 'x', prompt_pair: ['a one', 'b one'] },
        { attr_type: 'y', prompt_pair: ['a two', 'b two'] },
      ],
    },
  ],
});

describe('FuDD orchestration', () => {
  it('asks only for the pairs within each ambiguous set', () => {
    expect(confusedPairs(image, classifier, scoring, 2)).toEqual([['a', 'b']]);
    expect(confusedPairs(image, classifier, scoring, 3)).toHaveLength(3);
  });

  it('re-ranks the ambiguous set with the mean of each side (the paper)', async () => {
    // a: mean of 10° and −60° is at −25°, 37° from the image; b: mean of 40° and 45° is 42.5°, 30.5° away.
    const [result] = await classifyWithFudd(
      image,
      classifier,
      scoring,
      { fudd: { source: pairs, k: 2 } },
      embedTexts,
    );
    expect(result!.predictions.map((p) => p.label)).toEqual(['b', 'a', 'c']);
    expect(result!.predictions[0]!.cosine).toBeCloseTo(Math.cos((30.5 * Math.PI) / 180), 5);
    expect(result!.degraded).toBeUndefined();
  });

  it("with max pooling, a class's closest sentence speaks for it", async () => {
    // a: "a one" at 10° is 2° away; b: "b one" at 40° is 28° away.
    const [result] = await classifyWithFudd(
      image,
      classifier,
      scoring,
      { fudd: { source: pairs, k: 2, pooling: 'max' } },
      embedTexts,
    );
    expect(result!.predictions.map((p) => p.label)).toEqual(['a', 'b', 'c']);
    expect(result!.predictions[0]!.cosine).toBeCloseTo(Math.cos((2 * Math.PI) / 180), 5);
  });

  it('falls back to zero-shot, and says so, when no pair can be described', async () => {
    const [result] = await classifyWithFudd(
      image,
      classifier,
      scoring,
      { fudd: { source: staticSource({ pairs: [] }), k: 2 } },
      embedTexts,
    );
    expect(result!.degraded).toMatchObject({ requested: 'fudd', used: 'zeroshot' });
    expect(result!.predictions[0]!.label).toBe('b');
  });

  it('answers within its deadline when the LLM never does', async () => {
    const silent: DescriptionSource = {
      id: 'silent',
      descriptors: () => new Promise(() => {}),
      pairDescriptions: () => new Promise(() => {}),
    };
    const started = Date.now();
    const [result] = await classifyWithFudd(
      image,
      classifier,
      scoring,
      { fudd: { source: silent, k: 3, deadlineMs: 200 } },
      embedTexts,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result!.degraded?.used).toBe('zeroshot');
    expect(result!.degraded?.reason).toMatch(/no class pair could be described/);
  });
});
