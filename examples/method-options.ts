/**
 * The README's examples of the methods beyond plain prompts, as a file that typechecks and runs
 * (its regions are the README's code blocks, checked by tests/package/readme.node.test.ts): fruit
 * emoji with descriptors, FuDD with an OpenAI-compatible LLM (without one listening, it degrades to
 * the descriptions and says so), and TFUP on unlabelled OpenMoji images.
 *
 *   npx tsx examples/method-options.ts
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Descry } from 'descry';
import emojiClip from 'descry/models/emoji-clip';

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
