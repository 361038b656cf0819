/**
 * Writes models/emoji-clip/subclasses.json: the embedded model's own label hierarchy, for method
 * 'subclasses' (CHiLS) without an LLM. From tests/fixtures/emoji-classes.json (the 1,906 emoji the
 * benchmarks classify, with emoji-datasource's names, subcategories and categories, MIT):
 *
 *   subcategories: { "food fruit": ["grapes", "melon", …], … }   98 subcategories → their emoji names
 *   groups:        { "Food & Drink": ["food fruit", …], … }         9 groups → their subcategories
 *
 * It ships in the npm package next to the model (package.json `files` includes models/emoji-clip),
 * so `descry/models/emoji-clip` can offer it in every runtime; about 38 KB. Each subclass belongs to
 * one label in both maps, as compiling subclasses requires. tests/sdk/emoji-subclasses.test.ts
 * checks the file is what this script writes.
 *
 *   node models/scripts/build-subclasses.mjs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const classes = JSON.parse(readFileSync(`${root}tests/fixtures/emoji-classes.json`, 'utf8'));

/** The hierarchy of `classes` (name, subcategory, category), in the order the list first names each. */
function emojiHierarchy(list) {
  const subcategories = {};
  const groups = {};
  for (const { name, subcategory, category } of list) {
    subcategories[subcategory] = [...(subcategories[subcategory] ?? []), name];
    const members = groups[category] ?? [];
    groups[category] = members.includes(subcategory) ? members : [...members, subcategory];
  }
  return { subcategories, groups };
}

const hierarchy = {
  source:
    'emoji-datasource (MIT, Copyright (c) 2013 Cal Henderson): emoji names, subcategories and categories of the 1,906 emoji in tests/fixtures/emoji-classes.json; models/scripts/build-subclasses.mjs',
  ...emojiHierarchy(classes),
};
writeFileSync(`${root}models/emoji-clip/subclasses.json`, `${JSON.stringify(hierarchy)}\n`);
console.log(
  `models/emoji-clip/subclasses.json: ${Object.keys(hierarchy.subcategories).length} subcategories, ${Object.keys(hierarchy.groups).length} groups`,
);
