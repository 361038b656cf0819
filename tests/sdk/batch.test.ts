/**
 * Batch classification and its result lines, runtime-neutral (Node and workerd): one line per
 * image in input order, bad images isolated as error lines wherever they sit in an encoder batch,
 * predictions equal to `classify` on the good images, and the JSON Lines format round-tripping.
 */
import {
  classifyBatch,
  Descry,
  embedImagesSettled,
  errorLine,
  formatResultLines,
  parseResultLines,
  type ResultLine,
  tallyResultLines,
} from 'descry';
import embeddedModel from 'descry/models/emoji-clip';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { GIF_BYTES, truncatedPng } from '../worker/support/synthetic-images.js';

const fixtures = inject('emojiFixtures');
const decodeBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const good = fixtures.images.map((image) => ({ key: image.name, image: decodeBase64(image.base64) }));
const labels = fixtures.labels;

let descry: Descry;
beforeAll(async () => {
  descry = await Descry.load(embeddedModel);
});

describe('embedImages with reused input tensors', () => {
  it('gives every concurrent call its own tensor: the same rows as one call at a time', async () => {
    const one = async (images: Uint8Array[]) => Array.from((await descry.embedImages(images)).data);
    const batches = [good.slice(0, 2), good.slice(2, 4), good.slice(0, 2).reverse(), good.slice(1, 3)].map(
      (batch) => batch.map((g) => g.image),
    );
    const sequential: number[][] = [];
    for (const batch of batches) sequential.push(await one(batch));
    // Same-shaped batches at once: a shared pooled buffer would mix their pixels.
    const concurrent = await Promise.all([...batches, ...batches].map(one));
    expect(concurrent).toEqual([...sequential, ...sequential]);
  });
});

describe('classifyBatch', () => {
  it('gives one line per image, in order, with bad images as error lines in any batch position', async () => {
    const items = [
      good[0]!,
      { key: 'truncated.png', image: truncatedPng() },
      good[1]!,
      good[2]!,
      { key: 'empty.png', image: new Uint8Array() },
      { key: 'animated.gif', image: GIF_BYTES },
      good[3]!,
    ];
    const lines = await classifyBatch(descry, items, labels, { topK: 2, batchSize: 3 });
    expect(lines.map((line) => line.key)).toEqual(items.map((item) => item.key));
    expect(lines[1]!.error?.code).toBe('image_corrupt');
    expect(lines[4]!.error?.code).toBe('image_empty');
    expect(lines[5]!.error?.code).toBe('image_unsupported_format');
    const expected = await descry.classify(
      good.map((g) => g.image),
      labels,
      { topK: 2 },
    );
    for (const [i, position] of [0, 2, 3, 6].entries()) {
      expect(lines[position]!.predictions).toEqual(
        expected[i]!.predictions.map(({ label, score, cosine }) => ({ label, score, cosine })),
      );
    }
    expect(tallyResultLines(lines)).toEqual({
      images: 7,
      classified: 4,
      failed: 3,
      errors: { image_corrupt: 1, image_empty: 1, image_unsupported_format: 1 },
    });
  });

  it('embeds what it can and reports which inputs it could not', async () => {
    const settled = await embedImagesSettled(descry, [truncatedPng(), good[0]!.image], { batchSize: 2 });
    expect(settled.indices).toEqual([1]);
    expect(settled.embeddings.rows).toBe(1);
    expect([...settled.failures.keys()]).toEqual([0]);
  });

  it('throws failures that are not about one image', async () => {
    await expect(classifyBatch(descry, good, [])).rejects.toMatchObject({ code: 'labels_empty' });
  });
});

describe('result lines', () => {
  it('round-trip through JSON Lines', () => {
    const lines: ResultLine[] = [
      { key: 'a.png', predictions: [{ label: 'cat', score: 0.9, cosine: 0.3 }] },
      errorLine('b.png', { code: 'image_corrupt', message: 'truncated' }),
    ];
    const text = formatResultLines(lines);
    expect(text.split('\n')).toHaveLength(3);
    expect(text.endsWith('\n')).toBe(true);
    expect(parseResultLines(text)).toEqual(lines);
  });

  it('name the first line that is not a result line', () => {
    const bad = ['{"key":"a","predictions":[]}', 'not json', '{"key":"c"}'];
    expect(() => parseResultLines(bad.join('\n'))).toThrow(/line 2: not JSON/);
    expect(() => parseResultLines(`${bad[0]}\n${bad[2]}`)).toThrow(/line 2: a line has either/);
    expect(() => parseResultLines('{"key":"a","predictions":[{"label":1}]}')).toThrow(/predictions/);
  });
});
