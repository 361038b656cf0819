// Picks a committed OpenMoji fixture that the model ranks first among a handful of candidate labels, for
// tests/model/transformers-js.test.ts (run after evaluate.mjs --fixtures). Prints the choice.
import fs from 'node:fs';
import path from 'node:path';
import { env, pipeline } from '@xenova/transformers';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const FIX = path.join(ROOT, 'tests', 'fixtures', 'openmoji-eval');
const labels = JSON.parse(fs.readFileSync(path.join(FIX, 'labels.json'), 'utf8'));
env.allowRemoteModels = false;
env.localModelPath = `${path.join(ROOT, 'models')}/`;
const clf = await pipeline('zero-shot-image-classification', 'emoji-clip', { quantized: false });
const files = Object.keys(labels);
const wanted = [
  'red apple',
  'dog face',
  'cat face',
  'grinning face',
  'rocket',
  'pizza',
  'red heart',
  'sun',
  'banana',
  'snowman',
];
const pool = [
  'red apple',
  'dog face',
  'rocket',
  'pizza',
  'sun with face',
  'banana',
  'automobile',
  'soccer ball',
  'guitar',
  'tree',
];
for (const f of [...files.filter((x) => wanted.includes(labels[x].name)), ...files]) {
  const name = labels[f].name;
  const cands = [name, ...pool.filter((p) => p !== name)].slice(0, 5);
  const out = await clf(path.join(FIX, f), cands, { hypothesis_template: 'an emoji of {}' });
  if (out[0].label === name && out[0].score > 0.6) {
    console.log(JSON.stringify({ image: f, name, candidates: cands, scores: out }));
    break;
  }
}
