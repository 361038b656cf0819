/**
 * Every method on a SigLIP-shaped model scores as SigLIP does: a sigmoid of each label's own logit,
 * which carries the model's logit bias (`score = σ(scale · similarity + bias)`), never a softmax over
 * the labels. The model is the one tests/model/siglip.node.test.ts generates (make_siglip.py --size
 * tiny, random weights, logit scale 10 and a bias of about 0.7 in config.json).
 *
 * For each method's predictions:
 * - zeroshot and descriptions: logit = scale · cosine + bias (the reported cosine: with the label's
 *   template ensemble, or the mean of its descriptor cosines) and score = σ(logit);
 * - fudd with a static description source: the ambiguous set's classes, re-scored from their pair
 *   sentences, likewise; the classes outside it keep their first-pass scores, likewise;
 * - tfup: logit = scale · cosine + bias + the cache's affinity (TFUP adds α·Σ exp(−β(1 − A)) ≥ 0),
 *   score = σ(logit);
 * - subclasses (CHiLS): the label's and its best subclass's own sigmoids multiplied,
 *   score = σ(scale · label cosine + bias) · σ(scale · best subclass cosine + bias), with the
 *   label cosine the one zeroshot reports for the same classifier, and logit = log(r / (1 − r));
 * and, for all five, the scores of the labels are not a distribution (they do not sum to 1).
 *
 * The methods take the family's scoring from its profile (sdk/engine/family.ts), so this holds
 * for every method the table (sdk/methods/table.ts) runs over class scores.
 */
import { Descry, ortNodeBackend, type Prediction } from 'descry';
import { staticSource } from 'descry/llm';
import { beforeAll, describe, expect, it } from 'vitest';
import { generatedModel } from '../support/generated-model.js';
import { ROOT } from './support.js';

const LABELS = ['cat', 'dog', 'pizza', 'rocket'];
const DESCRIPTORS = {
  cat: ['pointed ears', 'whiskers'],
  dog: ['floppy ears', 'a wet nose'],
  pizza: ['a triangular slice', 'melted cheese'],
  rocket: ['fins', 'a pointed nose cone'],
};
/** A description for every pair of labels, so that FuDD re-ranks whatever the ambiguous set is. */
const PAIRS = LABELS.flatMap((a, i) =>
  LABELS.slice(i + 1).map((b) => ({
    classes: [a, b],
    attributes: [
      {
        attr_type: 'look',
        prompt_pair: [`a photo of a ${a}, seen up close.`, `a photo of a ${b}, seen up close.`],
      },
    ],
  })),
);
const SUBCLASSES = {
  cat: ['tabby', 'siamese cat'],
  dog: ['beagle', 'poodle'],
  pizza: ['margherita', 'pepperoni pizza'],
  rocket: ['space shuttle', 'missile'],
};
const SIZE = 224;

/** Seeded RGBA photos of SIZE². */
function photos(count: number) {
  let seed = 11;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  return Array.from({ length: count }, (_, k) => {
    const data = new Uint8Array(SIZE * SIZE * 4).fill(255);
    const [r, g, b] = [random() * 255, random() * 255, random() * 255];
    for (let i = 0; i < SIZE * SIZE; i++) {
      const x = i % SIZE;
      data[i * 4] = (r + x * k) & 255;
      data[i * 4 + 1] = (g + random() * 60) & 255;
      data[i * 4 + 2] = b;
    }
    return { width: SIZE, height: SIZE, data };
  });
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

let descry: Descry;

beforeAll(async () => {
  const folder = await generatedModel(ROOT, 'siglip-tiny', [['make_siglip.py', '--size', 'tiny']]);
  descry = await Descry.load(folder, { backend: (await ortNodeBackend())! });
}, 300_000);

function expectSigmoidScores(predictions: Prediction[], extraLogit: 'none' | 'non-negative') {
  const { logitScale, logitBias } = descry.info;
  for (const p of predictions) {
    expect(p.score, `${p.label}: score is σ(logit)`).toBeCloseTo(sigmoid(p.logit), 6);
    const plain = logitScale * p.cosine + logitBias;
    if (extraLogit === 'none') expect(p.logit, `${p.label}: logit = scale·cos + bias`).toBeCloseTo(plain, 4);
    else expect(p.logit - plain, `${p.label}: logit ≥ scale·cos + bias`).toBeGreaterThanOrEqual(-1e-4);
  }
  const sum = predictions.reduce((total, p) => total + p.score, 0);
  expect(Math.abs(sum - 1), 'scores are not a softmax over the labels').toBeGreaterThan(1e-3);
}

describe('every method on a SigLIP-shaped model', () => {
  it('zeroshot: σ(scale · cosine + bias)', async () => {
    const classifier = await descry.compile({ labels: LABELS });
    for (const result of await descry.classify(photos(3), classifier)) {
      expect(result.degraded).toBeUndefined();
      expectSigmoidScores(result.predictions, 'none');
    }
  });

  it('descriptions: σ(scale · mean descriptor cosine + bias)', async () => {
    const classifier = await descry.compile({ labels: LABELS, descriptors: DESCRIPTORS });
    for (const result of await descry.classify(photos(3), classifier, { method: 'descriptions' })) {
      expect(result.degraded).toBeUndefined();
      expectSigmoidScores(result.predictions, 'none');
    }
  });

  it('fudd with a static description source: σ(scale · cosine + bias) inside and outside the ambiguous set', async () => {
    const classifier = await descry.compile({ labels: LABELS });
    const source = staticSource({ pairs: PAIRS });
    for (const result of await descry.classify(photos(3), classifier, {
      method: 'fudd',
      fudd: { source, k: 3 },
    })) {
      expect(result.degraded).toBeUndefined();
      expectSigmoidScores(result.predictions, 'none');
    }
  });

  it('subclasses: σ(scale · label cosine + bias) · σ(scale · best subclass cosine + bias)', async () => {
    const classifier = await descry.compile({ labels: LABELS, subclasses: SUBCLASSES });
    const images = photos(3);
    const zeroShot = await descry.classify(images, classifier);
    const { logitScale, logitBias } = descry.info;
    const results = await descry.classify(images, classifier, { method: 'subclasses' });
    results.forEach((result, i) => {
      expect(result.degraded).toBeUndefined();
      for (const p of result.predictions) {
        const label = zeroShot[i]!.predictions.find((q) => q.label === p.label)!;
        const expected =
          sigmoid(logitScale * label.cosine + logitBias) * sigmoid(logitScale * p.cosine + logitBias);
        expect(p.score, `${p.label}: score is the product of the two sigmoids`).toBeCloseTo(expected, 6);
        expect(p.score, `${p.label}: score is σ(logit)`).toBeCloseTo(sigmoid(p.logit), 6);
      }
      const sum = result.predictions.reduce((total, p) => total + p.score, 0);
      expect(Math.abs(sum - 1), 'scores are not a softmax over the labels').toBeGreaterThan(1e-3);
    });
  });

  it('tfup: σ(scale · cosine + bias + cache affinity)', async () => {
    const classifier = await descry.compile({ labels: LABELS });
    const cache = await descry.adapt(classifier, photos(16), { options: { minShots: 2 } });
    for (const result of await descry.classify(photos(3), classifier, { method: 'tfup', tfup: { cache } })) {
      expect(result.degraded).toBeUndefined();
      expectSigmoidScores(result.predictions, 'non-negative');
    }
  });
});
