/**
 * A SigLIP-shaped model (bench/models/make_siglip.py --size tiny: SigLIP's architecture with random
 * weights, a MAP pooling head, a bidirectional text tower pooled at its last position, a Unigram
 * tokenizer padding to max_length 64) generated in setup into tests/.generated/ (ignored), then
 * classified by Descry and by @huggingface/transformers 4's zero-shot-image-classification pipeline
 * from the same local folder (no remote): the probabilities agree within 1e-4. transformers.js runs
 * onnx/model.onnx, whose graph holds the logit scale and bias, and applies a sigmoid per label;
 * Descry runs the text and vision encoders apart and reads the scale and bias from config.json.
 *
 * The photos are 224×224 RGB pixels handed to both as decoded images, so that neither library
 * resizes (sharp's resampling and Descry's differ, and are compared elsewhere) and only the models'
 * conventions are under test: tokenisation and padding, pooling, normalisation, scale, bias, sigmoid.
 */
import { env, pipeline, RawImage } from '@huggingface/transformers';
import { Descry, ortNodeBackend } from 'descry';
import { beforeAll, describe, expect, it } from 'vitest';
import { generatedModel } from '../support/generated-model.js';
import { ROOT } from './support.js';

const LABELS = ['cat', 'dog', 'pizza', 'rocket', 'red apple', 'a bicycle on a hill'];
const SIZE = 224;

/** Seeded RGB photos of SIZE²: a gradient, stripes and noise. */
function photos(): Array<{ width: number; height: number; rgb: Uint8Array }> {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const make = (pixel: (x: number, y: number, c: number) => number) => {
    const rgb = new Uint8Array(SIZE * SIZE * 3);
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++)
        for (let c = 0; c < 3; c++) rgb[(y * SIZE + x) * 3 + c] = Math.round(pixel(x, y, c)) & 255;
    return { width: SIZE, height: SIZE, rgb };
  };
  return [
    make((x, y, c) => (c === 0 ? x : c === 1 ? y : 255 - x) * (255 / (SIZE - 1))),
    make((x, y, c) => (((x >> 4) + (y >> 5) + c) % 2 ? 220 : 30)),
    make(() => random() * 255),
  ];
}

const rgba = (photo: { width: number; height: number; rgb: Uint8Array }) => {
  const data = new Uint8Array(photo.width * photo.height * 4).fill(255);
  for (let i = 0; i < photo.width * photo.height; i++) data.set(photo.rgb.subarray(i * 3, i * 3 + 3), i * 4);
  return { width: photo.width, height: photo.height, data };
};

let folder: string;

beforeAll(async () => {
  folder = await generatedModel(ROOT, 'siglip-tiny', [['make_siglip.py', '--size', 'tiny']]);
}, 300_000);

describe('a SigLIP-shaped model', () => {
  it("gives Descry's zero-shot probabilities as transformers.js 4's pipeline does (within 1e-4)", async () => {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = `${folder.slice(0, folder.lastIndexOf('/'))}/`;
    const classifier = await pipeline('zero-shot-image-classification', 'siglip-tiny', { dtype: 'fp32' });
    const descry = await Descry.load(folder, { backend: (await ortNodeBackend())! });
    expect(descry.info.family).toBe('siglip');
    let spread = 0;
    for (const photo of photos()) {
      const theirs = (await classifier(
        new RawImage(photo.rgb, photo.width, photo.height, 3),
        LABELS,
      )) as Array<{
        label: string;
        score: number;
      }>;
      // The pipeline's default hypothesis template is Descry's default single template.
      const [ours] = await descry.classify([rgba(photo)], LABELS);
      const byLabel = new Map(ours!.predictions.map((p) => [p.label, p.score]));
      expect(theirs).toHaveLength(LABELS.length);
      for (const { label, score } of theirs) {
        expect(Math.abs(byLabel.get(label)! - score), label).toBeLessThan(1e-4);
      }
      // Sigmoids, not a softmax: the scores are not a distribution over the labels.
      const scores = theirs.map((t) => t.score);
      spread = Math.max(spread, Math.max(...scores) - Math.min(...scores));
      expect(Math.abs(scores.reduce((a, b) => a + b, 0) - 1)).toBeGreaterThan(1e-3);
    }
    // The generator centres the logits, so the comparison covers probabilities across (0, 1).
    expect(spread).toBeGreaterThan(0.05);
  }, 120_000);
});
