/**
 * Text batches are formed by token length, not input order (fewer pad tokens): whatever the order
 * and the batch boundaries, each prompt's embedding is the one it gets when encoded alone, and rows
 * come back in input order. Runtime-neutral: runs in Node and inside workerd.
 */

import { Descry } from 'descry';
import embeddedModel from 'descry/models/emoji-clip';
import { describe, expect, it } from 'vitest';

const words = ['cat', 'red apple', 'a very long prompt about a small green frog on a leaf', 'sun', 'x'];

describe('text batches sorted by length', () => {
  it('return each prompt the embedding it has alone, in input order, across batches', async () => {
    const descry = await Descry.load(embeddedModel);
    // 150 distinct prompts of mixed lengths: more than one batch of 128.
    const prompts = Array.from({ length: 150 }, (_, i) => `${words[i % words.length]} ${i}`);
    const together = await descry.embedTexts(prompts);
    expect(together.rows).toBe(prompts.length);
    const alone = await Descry.load(embeddedModel);
    for (const i of [0, 2, 4, 77, 128, 149]) {
      const single = await alone.embedTexts([prompts[i]!]);
      const row = together.data.subarray(i * together.cols, (i + 1) * together.cols);
      single.data.forEach((v, k) => {
        expect(row[k]!).toBeCloseTo(v, 5);
      });
    }
  });
});
