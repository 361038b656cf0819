/**
 * The SDK end to end on the embedded model, runtime-neutral: this file runs in Node and inside
 * workerd (`descry` and `descry/models/emoji-clip` resolve to the runtime the project runs in: the
 * model folder in Node, the bundled bytes in workerd).
 */

import { CompiledClassifier, Descry } from 'descry';
import embeddedModel from 'descry/models/emoji-clip';
import { encode } from 'fast-png';
import { beforeAll, describe, expect, inject, it } from 'vitest';

const fixtures = inject('emojiFixtures');
const decodeBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const images = fixtures.images.map((image) => ({ ...image, bytes: decodeBase64(image.base64) }));
const labels = fixtures.labels;

let descry: Descry;
beforeAll(async () => {
  descry = await Descry.load(embeddedModel);
});

describe('Descry on the embedded model', () => {
  it('reads the manifest without loading either encoder', () => {
    expect(descry.info.family).toBe('clip');
    expect(descry.info.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(descry.info.imageSize?.height).toBeGreaterThan(0);
    expect(descry.loaded).toEqual({ text: false, vision: false });
  });

  it('ranks the right label first for every fixture image, in one batch call', async () => {
    const results = await descry.classify(
      images.map((i) => i.bytes),
      labels,
      { templates: ['an emoji of {}'] },
    );
    expect(results).toHaveLength(images.length);
    results.forEach((result, i) => {
      expect(result.predictions[0]!.label).toBe(images[i]!.label);
      const total = result.predictions.reduce((sum, p) => sum + p.score, 0);
      expect(total).toBeCloseTo(1, 5);
      const scores = result.predictions.map((p) => p.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    });
  });

  it('gives the same answer for an image alone and inside a batch', async () => {
    const [alone] = await descry.classify(images[1]!.bytes, labels);
    const batch = await descry.classify([images[0]!.bytes, images[1]!.bytes], labels);
    alone!.predictions.forEach((p, i) => {
      expect(batch[1]!.predictions[i]!.label).toBe(p.label);
      expect(batch[1]!.predictions[i]!.score).toBeCloseTo(p.score, 5);
    });
  });

  it('ensembles templates as the renormalised mean of normalised embeddings', async () => {
    const templates = ['an emoji of {}', 'a photo of a {}'];
    const classifier = await descry.compile({ labels: labels.slice(0, 2), templates });
    const texts = await descry.embedTexts(templates.map((t) => t.replace('{}', labels[0]!)));
    const dim = texts.cols;
    const mean = Array.from({ length: dim }, (_, i) => texts.data[i]! + texts.data[dim + i]!);
    const norm = Math.hypot(...mean);
    mean.forEach((v, i) => {
      expect(classifier.weights.data[i]!).toBeCloseTo(v / norm, 5);
    });
  });

  it('classifies with a serialised classifier without touching the text encoder', async () => {
    const compiled = await descry.compile({ labels, templates: ['an emoji of {}'] });
    const bytes = compiled.toBytes('float16');
    const fresh = await Descry.load(embeddedModel);
    const loaded = fresh.loadClassifier(bytes);
    const [result] = await fresh.classify(images[0]!.bytes, loaded, { topK: 3 });
    expect(result!.predictions).toHaveLength(3);
    expect(result!.predictions[0]!.label).toBe(images[0]!.label);
    expect(fresh.loaded).toEqual({ text: false, vision: true });
  });

  it('accepts decoded RGBA pixels and Blobs', async () => {
    const rgba = { width: 2, height: 2, data: new Uint8Array(16).fill(200) };
    const [fromPixels] = await descry.classify(rgba, labels);
    const [fromPng] = await descry.classify(
      new Blob([encode({ ...rgba, channels: 4 }) as Uint8Array<ArrayBuffer>]),
      labels,
    );
    expect(fromPng!.predictions.map((p) => p.label)).toEqual(fromPixels!.predictions.map((p) => p.label));
  });

  it('explains a prediction by its descriptors, strongest first', async () => {
    const descriptors = Object.fromEntries(labels.map((l) => [l, [`${l}`, 'a round shape']]));
    const [result] = await descry.classify(images[0]!.bytes, labels, { method: 'descriptions', descriptors });
    const evidence = result!.predictions[0]!.evidence!;
    expect(evidence).toHaveLength(2);
    expect(evidence[0]!.cosine).toBeGreaterThanOrEqual(evidence[1]!.cosine);
    expect(result!.degraded).toBeUndefined();
  });

  it('says when it degrades: descriptions asked without descriptors', async () => {
    const [result] = await descry.classify(images[0]!.bytes, labels, { method: 'descriptions' });
    expect(result!.degraded).toMatchObject({ requested: 'descriptions', used: 'zeroshot' });
  });
});

describe('bad input gives typed errors', () => {
  const png = encode({ width: 4, height: 4, data: new Uint8Array(64).fill(90), channels: 4 });
  it.each([
    ['zero bytes', new Uint8Array(), 'image_empty'],
    ['a truncated PNG', png.subarray(0, png.length - 20), 'image_corrupt'],
    [
      'garbage',
      new TextEncoder().encode('definitely not an image, just some words'),
      'image_unsupported_format',
    ],
    [
      'a GIF',
      new TextEncoder().encode('GIF89a\u0001\u0000\u0001\u0000\u0000\u0000\u0000;'),
      'image_unsupported_format',
    ],
  ])('%s', async (_, bytes, code) => {
    await expect(descry.classify(bytes, labels)).rejects.toMatchObject({ code });
  });

  it('an empty label list', async () => {
    await expect(descry.classify(images[0]!.bytes, [])).rejects.toMatchObject({ code: 'labels_empty' });
  });

  it('a classifier compiled for another model', async () => {
    const other = new CompiledClassifier({
      labels: ['a', 'b'],
      templates: ['{}'],
      weights: {
        rows: 2,
        cols: descry.info.projectionDim ?? 2,
        data: new Float32Array(2 * (descry.info.projectionDim ?? 2)).fill(0.1),
      },
      fingerprint: '0'.repeat(64),
      model: 'some-other-model',
    });
    await expect(descry.classify(images[0]!.bytes, other)).rejects.toMatchObject({ code: 'model_mismatch' });
    expect(() => descry.loadClassifier(other.toBytes())).toThrow(
      expect.objectContaining({ code: 'model_mismatch' }),
    );
  });

  it('RGBA pixels of the wrong length', async () => {
    await expect(
      descry.classify({ width: 10, height: 10, data: new Uint8Array(12) }, labels),
    ).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
