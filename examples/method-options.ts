/**
 * The README's examples of the methods beyond plain prompts, as a file that typechecks and runs
 * (its regions are the README's code blocks, checked by tests/package/readme.node.test.ts): fruit
 * emoji with descriptors, FuDD with an OpenAI-compatible LLM (without one listening, it degrades to
 * the descriptions and says so), TFUP on unlabelled OpenMoji images, labels with subclasses from the
 * embedded model's own hierarchy, and a conformal calibration on labelled OpenMoji images.
 *
 *   npx tsx examples/method-options.ts
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Descry } from 'descry';
import emojiClip, { emojiSubclasses } from 'descry/models/emoji-clip';

const dir = 'tests/fixtures/openmoji-eval';
const files = (await readdir(dir)).filter((file) => file.endsWith('.png'));
const read = (file: string) => readFile(join(dir, file));
const descry = await Descry.load(emojiClip);
const image = await read('1F34F.png'); // a green apple
const images = [image, await read('1F34B.png')]; // a green apple and a lemon
const labels = ['green apple', 'lemon', 'peach'];
const descriptors = {
  'green apple': ['a green skin', 'a short stem', 'a round shape'],
  lemon: ['a yellow skin', 'an oval shape', 'pointed ends'],
  peach: ['an orange-pink skin', 'a fuzzy surface', 'a leaf on top'],
};
const classifier = await descry.compile({ labels, templates: ['an emoji of {}'], descriptors });
const unlabelledImages = await Promise.all(files.slice(0, 400).map(read));
const moreImages = await Promise.all(files.slice(400).map(read));

// #region descriptions
const [r] = await descry.classify(image, labels, { method: 'descriptions', descriptors });
r!.predictions[0]; // { label, score, cosine, evidence: [{ descriptor, cosine }, …] }  (strongest first)
// #endregion
const best = r!.predictions[0]!;
console.log(`descriptions: ${best.label}, because ${best.evidence![0]!.descriptor}`);

// #region fudd
import { openAICompatibleSource, PairDescriptionCache } from 'descry/llm';
import { MemoryStore } from 'descry/store';

const source = openAICompatibleSource({ baseURL: 'http://127.0.0.1:11434/v1', model: 'llama3.1' });
const [f] = await descry.classify(image, labels, {
  method: 'fudd',
  fudd: { source, cache: new PairDescriptionCache(new MemoryStore(), source.id), k: 10, deadlineMs: 10_000 },
});
// #endregion
console.log(`fudd: ${f!.predictions[0]!.label}${f!.degraded ? ` (degraded: ${f!.degraded.reason})` : ''}`);

// #region tfup
let cache = await descry.adapt(classifier, unlabelledImages); // build
cache = await descry.adapt(classifier, moreImages, { cache }); // grow
const results = await descry.classify(images, classifier, { method: 'tfup', tfup: { cache } });
// #endregion
console.log(
  `tfup (${cache.pool.rows} unlabelled images): ${results.map((x) => x.predictions[0]!.label).join(', ')}`,
);

// Held-out images of three emoji subcategories with their true subcategory, to calibrate on.
const meta = JSON.parse(await readFile(join(dir, 'labels.json'), 'utf8')) as Record<
  string,
  { subcategory: string }
>;
const groups = ['food fruit', 'food vegetable', 'animal bird'];
const labelledImages = await Promise.all(
  files
    .filter((file) => groups.includes(meta[file]!.subcategory) && file !== '1F34F.png')
    .map(async (file) => ({ image: await read(file), label: meta[file]!.subcategory })),
);

// #region subclasses
const subclasses = Object.fromEntries(groups.map((g) => [g, emojiSubclasses.subcategories[g]!]));
const [s] = await descry.classify(image, groups, { method: 'subclasses', subclasses });
s!.predictions[0]; // { label: 'food fruit', score, evidence: [{ descriptor: 'green apple', cosine }, …] }
// #endregion
console.log(
  `subclasses: ${s!.predictions[0]!.label}, because ${s!.predictions[0]!.evidence![0]!.descriptor}`,
);

// #region calibrate
const compiled = await descry.compile({ labels: groups, subclasses });
const calibrated = await descry.calibrate(compiled, labelledImages, { alpha: 0.1, method: 'subclasses' });
const [c] = await descry.classify(image, calibrated, { method: 'subclasses', maxSetSize: 2 });
c!.set; // { labels: ['food fruit'], abstain: false, alpha: 0.1 }: holds the true label ≥ 90% of the time
const bytes = calibrated.toBytes(); // the calibration travels with the classifier (KV, R2, files)
// #endregion
console.log(
  `calibrated on ${labelledImages.length} images: set ${JSON.stringify(c!.set)}, ${bytes.byteLength} bytes`,
);
