/**
 * The embedded emoji-clip model loads from disk in @xenova/transformers (no network) as a standard
 * zero-shot-image-classification pipeline and ranks the right label first on a committed held-out image: a
 * transparent PNG, whose alpha transformers.js drops (the model was trained for that too).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoProcessor, env, pipeline, RawImage } from '@xenova/transformers';
import { describe, expect, it } from 'vitest';
import { EVAL_DIR, INPUT_SIZE_DIR, inputSizeLabels, labels, pixelValues, ROOT, SIZE } from './support.js';

// A committed OpenMoji image (held out from training) and a handful of candidate labels, chosen by
// models/scripts/pick-fixtures.ts for the shipped model.
const IMAGE = '1F1EA-1F1F9.png'; // OpenMoji "ethiopia flag"
const CANDIDATES = ['ethiopia flag', 'red apple', 'dog face', 'rocket', 'pizza'];

describe('emoji-clip in @xenova/transformers', () => {
  it('its CLIPImageProcessor gives the pixel values the ONNX graphs expect (preprocessor_config normalisation)', async () => {
    env.allowRemoteModels = false;
    env.localModelPath = `${join(ROOT, 'models')}/`;
    const processor = await AutoProcessor.from_pretrained('emoji-clip');
    // at the input size, so that no resize (sharp's, not Pillow's) is involved
    const file = join(INPUT_SIZE_DIR, Object.keys(inputSizeLabels)[0] as string);
    const { pixel_values } = await processor(await RawImage.read(file));
    expect(pixel_values.dims).toEqual([1, 3, SIZE, SIZE]);
    const ours = pixelValues(readFileSync(file));
    const theirs = pixel_values.data as Float32Array;
    let maxDiff = 0;
    ours.forEach((x, i) => {
      maxDiff = Math.max(maxDiff, Math.abs(x - (theirs[i] as number)));
    });
    expect(maxDiff).toBeLessThan(1e-4);
  }, 60_000);

  it('runs the zero-shot-image-classification pipeline from disk and ranks the right label first', async () => {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = `${join(ROOT, 'models')}/`;
    const classifier = await pipeline('zero-shot-image-classification', 'emoji-clip', { quantized: false });
    const expected = labels[IMAGE]?.name as string;
    expect(CANDIDATES).toContain(expected);
    const out = (await classifier(join(EVAL_DIR, IMAGE), CANDIDATES, {
      hypothesis_template: 'an emoji of {}',
    })) as Array<{ label: string; score: number }>;
    expect(out).toHaveLength(CANDIDATES.length);
    expect(out[0]?.label).toBe(expected);
    expect(out.reduce((s, r) => s + r.score, 0)).toBeCloseTo(1, 4);
  }, 120_000);
});
