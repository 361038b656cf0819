/**
 * Parity with transformers.js: for the same images, labels and template, Descry's probabilities
 * equal those of @xenova/transformers' zero-shot-image-classification pipeline within 1e-4.
 * The images are at the model's input size: transformers.js resizes with sharp in Node, which is
 * not PIL's bicubic, so only unresized images can be compared at this tolerance (Descry's resize
 * is checked against PIL itself in tests/image).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { env, pipeline } from '@xenova/transformers';
import { Descry } from 'descry';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
// transparent OpenMoji PNGs at the model's input size (the evaluation subset itself is 72 px)
const fixtures = join(root, 'tests', 'fixtures', 'openmoji-eval', 'input-size');
const template = 'This is a photo of {}';

describe('parity with the transformers.js pipeline', () => {
  it('gives the same probabilities within 1e-4', async () => {
    const labelsJson = JSON.parse(await readFile(join(fixtures, 'labels.json'), 'utf8')) as Record<
      string,
      { name: string }
    >;
    const files = (await readdir(fixtures))
      .filter((f) => f.endsWith('.png'))
      .sort()
      .slice(0, 6);
    const labels = [...new Set(Object.values(labelsJson).map((l) => l.name))].slice(0, 12);

    env.allowRemoteModels = false;
    env.localModelPath = join(root, 'models');
    const classify = await pipeline('zero-shot-image-classification', 'emoji-clip', { quantized: false });
    const descry = await Descry.load(join(root, 'models', 'emoji-clip'));

    let compared = 0;
    for (const file of files) {
      const theirs = (await classify(join(fixtures, file), labels, {
        hypothesis_template: template,
      })) as Array<{
        label: string;
        score: number;
      }>;
      const [ours] = await descry.classify(new Uint8Array(await readFile(join(fixtures, file))), labels, {
        templates: [template],
        // transformers.js drops alpha (convert('RGB')); Descry's default composites onto white.
        background: 'drop',
      });
      const byLabel = new Map(ours!.predictions.map((p) => [p.label, p.score]));
      for (const { label, score } of theirs) {
        expect(Math.abs(byLabel.get(label)! - score)).toBeLessThan(1e-4);
        compared++;
      }
    }
    expect(compared).toBe(files.length * labels.length);
  });
});
