/**
 * The README's quick start (its regions are the README's code blocks, checked by
 * tests/package/readme.node.test.ts): classify a committed emoji image with the embedded model,
 * first with plain labels, then with a compiled classifier saved to disk and loaded again (no
 * text encoder needed for that part).
 *
 *   npx tsx examples/classify.ts
 */
// #region quick-start
import { readFile } from 'node:fs/promises';
import { Descry } from 'descry';
import emojiClip from 'descry/models/emoji-clip';

const descry = await Descry.load(emojiClip); // the embedded model; or a folder, a URL, a hub id, { files }
const image = await readFile('tests/fixtures/openmoji-eval/1F34F.png'); // a held-out OpenMoji green apple
const labels = ['red apple', 'green apple', 'pear', 'lemon', 'melon', 'kiwifruit'];
const [result] = await descry.classify(image, labels, { templates: ['an emoji of {}'], topK: 3 });
for (const { label, score } of result!.predictions) console.log(`${label}: ${score.toFixed(3)}`);

// #endregion

// #region compile
import { writeFile } from 'node:fs/promises';

const classifier = await descry.compile({ labels, templates: ['an emoji of {}', 'an icon of {}'] });
await writeFile('fruit.descry', classifier.toBytes()); // float16 by default; 'float32' on request
const loaded = descry.loadClassifier(await readFile('fruit.descry')); // refuses another model's classifier
const [again] = await descry.classify(image, loaded, { topK: 1 }); // no text encoding at all
console.log(`compiled: ${again!.predictions[0]!.label}`);
// #endregion

// Tidy up (outside the README's part, whose imports stay those a reader needs).
await (await import('node:fs/promises')).rm('fruit.descry');
