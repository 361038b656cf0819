// Plain Node, no TypeScript loader: the package's built ESM and the model shipped inside it.
//   node classify.mjs <image> <label,label,...>
import { readFile } from 'node:fs/promises';
import { Descry, DescryError } from 'descry';
import { staticSource } from 'descry/llm';
import emojiClip from 'descry/models/emoji-clip';

const [imagePath, labels] = process.argv.slice(2);
const descry = await Descry.load(emojiClip);
const [result] = await descry.classify(await readFile(imagePath), labels.split(','), {
  templates: ['an emoji of {}'],
});

// One copy of the SDK: an error thrown by `descry/llm` is an instance of the class `descry` exports.
let sharedErrorClass = false;
try {
  staticSource(42);
} catch (error) {
  sharedErrorClass = error instanceof DescryError;
}

console.log(JSON.stringify({ model: descry.info.id, top: result.predictions[0].label, sharedErrorClass }));
