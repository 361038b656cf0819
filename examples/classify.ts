/**
 * Classify a committed emoji image with the embedded model, first with plain labels, then with a
 * compiled classifier saved to disk and loaded again (no text encoder needed for that part).
 *
 *   npx tsx examples/classify.ts
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Descry } from 'descry';

const descry = await Descry.load('models/emoji-clip');
const image = await readFile('tests/fixtures/openmoji-eval/1F34F.png');
const labels = ['red apple', 'green apple', 'pear', 'lemon', 'melon', 'kiwifruit'];

const [result] = await descry.classify(image, labels, { templates: ['an emoji of {}'], topK: 3 });
console.log(result!.predictions.map((p) => `${p.label}: ${p.score.toFixed(3)}`).join('\n'));

const classifier = await descry.compile({ labels, templates: ['an emoji of {}', 'an icon of {}'] });
await writeFile('/tmp/fruit.descry', classifier.toBytes());
const reloaded = descry.loadClassifier(new Uint8Array(await readFile('/tmp/fruit.descry')));
const [again] = await descry.classify(image, reloaded, { topK: 1 });
console.log(`compiled: ${again!.predictions[0]!.label}`);
