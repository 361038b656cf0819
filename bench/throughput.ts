/**
 * Throughput: Descry with a compiled classifier against transformers.js's zero-shot pipeline, both
 * @xenova/transformers 2.17.2 and its successor @huggingface/transformers 4.x (onnxruntime-node
 * 1.30, as Descry), on the embedded model, the same images and the same labels, in one run. All
 * classify one image per call, as an HTTP endpoint does. The pipelines encode every label prompt on
 * every call; Descry encodes them once, at compile time.
 *
 *   npm run bench:throughput -- --labels 100 --images 48 --rounds 3
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { Descry } from 'descry';

const root = new URL('..', import.meta.url).pathname;
const modelDir = join(root, 'models', 'emoji-clip');
const imageDir = join(root, 'tests', 'fixtures', 'openmoji-eval');

const options = new Command()
  .option('--labels <n>', 'candidate labels', '100')
  .option('--images <n>', 'images per round', '48')
  .option('--rounds <n>', 'timed rounds per contender (best is kept)', '3')
  .parse()
  .opts<{ labels: string; images: string; rounds: string }>();

const labelCount = Number(options.labels);
const imageCount = Number(options.images);
const rounds = Number(options.rounds);
const template = 'This is a photo of {}';

const classes = JSON.parse(
  await readFile(join(root, 'tests', 'fixtures', 'emoji-classes.json'), 'utf8'),
) as Array<{
  name: string;
}>;
const labels = classes.slice(0, labelCount).map((c) => c.name);
const files = (await readdir(imageDir))
  .filter((f) => f.endsWith('.png'))
  .sort()
  .slice(0, imageCount);
const images = await Promise.all(files.map(async (f) => new Uint8Array(await readFile(join(imageDir, f)))));

/** Best images-per-second over `rounds` rounds after one warm-up call. */
async function measure(name: string, classifyOne: (bytes: Uint8Array, path: string) => Promise<unknown>) {
  await classifyOne(images[0]!, join(imageDir, files[0]!));
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    for (let i = 0; i < images.length; i++) await classifyOne(images[i]!, join(imageDir, files[i]!));
    const seconds = (performance.now() - start) / 1000;
    best = Math.max(best, images.length / seconds);
  }
  console.log(`${name.padEnd(42)} ${best.toFixed(1).padStart(8)} images/s`);
  return best;
}

const descry = await Descry.load(modelDir);
const classifier = await descry.compile({ labels, templates: [template] });
const descryRate = await measure('Descry, compiled classifier', (bytes) =>
  descry.classify(bytes, classifier),
);

const { pipeline, env } = await import('@xenova/transformers');
env.allowRemoteModels = false;
env.localModelPath = join(root, 'models');
const classify = await pipeline('zero-shot-image-classification', 'emoji-clip', { quantized: false });
const pipelineRate = await measure('transformers.js 2.17 zero-shot pipeline', (_bytes, path) =>
  classify(path, labels, { hypothesis_template: template }),
);
await classify.dispose();

const transformers4 = await import('@huggingface/transformers');
transformers4.env.allowRemoteModels = false;
transformers4.env.localModelPath = `${join(root, 'models')}/`;
const classify4 = await transformers4.pipeline('zero-shot-image-classification', 'emoji-clip', {
  dtype: 'fp32',
  device: 'cpu',
});
const pipeline4Rate = await measure('transformers.js 4.x zero-shot pipeline', (_bytes, path) =>
  classify4(path, labels, { hypothesis_template: template }),
);

console.log(
  `\n${labels.length} labels, ${images.length} images, best of ${rounds} rounds, Node ${process.version}`,
);
console.log(
  `ratio: Descry is ${(descryRate / pipelineRate).toFixed(1)}x the throughput of the transformers.js 2.17 pipeline`,
);
console.log(
  `ratio: Descry is ${(descryRate / pipeline4Rate).toFixed(1)}x the throughput of the transformers.js 4.x pipeline`,
);
