/**
 * After a retrain: chooses which committed held-out OpenMoji images (tests/fixtures/openmoji-eval) the tests and the
 * demo classify, so that they test the code, not the model's borderline cases. Run after evaluate.ts --fixtures.
 *
 * - tests/worker/support/emoji-fixtures.ts: four images, each ranked first among the four names by a margin of at
 *   least MARGIN in cosine, with every template the tests use, with the default background and with alpha dropped;
 *   the four with the widest margin are kept;
 * - tests/model/transformers-js.test.ts: one image and five candidates on which @xenova/transformers' own pipeline
 *   (alpha dropped, sharp's resize) ranks the right label first with probability > 0.6;
 * - scripts/start.mjs's DEMO: the image and labels of the curl line `npm start` prints (and docs/development.md shows).
 *
 *   npx tsx models/scripts/pick-fixtures.ts [--write]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { env, pipeline } from '@xenova/transformers';
import { Command } from 'commander';
import { Descry, type Matrix } from 'descry';
import { embedFiles, ROOT } from './heldout.js';

const cli = new Command()
  .option('--write', 'write the choices into the test files and scripts/start.mjs')
  .parse()
  .opts<{ write?: boolean }>();

const MARGIN = 0.03;
const TEMPLATE_SETS = [
  ['This is a photo of {}'],
  ['an emoji of {}'],
  ['an emoji of {}.'],
  ['a {} emoji'],
  ['{}'],
  ['an emoji of {}.', 'a {} emoji'],
];
const FIX = join(ROOT, 'tests', 'fixtures', 'openmoji-eval');
const labels = JSON.parse(readFileSync(join(FIX, 'labels.json'), 'utf8')) as Record<string, { name: string }>;
const files = Object.keys(labels);
const names = files.map((f) => labels[f]!.name);
const descry = await Descry.load(join(ROOT, 'models', 'emoji-clip'));

// Images whose own name wins among ALL base emoji names under every template and background are candidates.
const allNames = (
  JSON.parse(readFileSync(join(ROOT, 'tests', 'fixtures', 'emoji-classes.json'), 'utf8')) as Array<{
    name: string;
  }>
).map((c) => c.name);
const embedded: Matrix[] = [];
for (const background of ['white', 'drop'] as const) {
  embedded.push(
    await embedFiles(
      descry,
      files.map((f) => join(FIX, f)),
      background,
    ),
  );
}
const row = (m: Matrix, i: number) => m.data.subarray(i * m.cols, (i + 1) * m.cols);
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, k) => s + x * b[k]!, 0);
const weights: Matrix[] = [];
for (const templates of TEMPLATE_SETS) {
  weights.push((await descry.compile({ labels: allNames, templates })).weights);
}
const index = new Map(allNames.map((n, i) => [n, i]));
const strong = files
  .map((_, i) => i)
  .filter((i) =>
    embedded.every((m) =>
      weights.every((w) => {
        const v = row(m, i);
        const own = dot(v, row(w, index.get(names[i]!)!));
        for (let c = 0; c < w.rows; c++)
          if (c !== index.get(names[i]!) && dot(v, row(w, c)) >= own) return false;
        return true;
      }),
    ),
  );
console.log(
  `${strong.length} of ${files.length} images rank their own name first among all names everywhere`,
);

/** Smallest margin, over templates and backgrounds, by which each image of a set beats the set's other names. */
function margin(set: number[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (const m of embedded) {
    for (const w of weights) {
      for (const i of set) {
        const v = row(m, i);
        const own = dot(v, row(w, index.get(names[i]!)!));
        for (const j of set) if (j !== i) min = Math.min(min, own - dot(v, row(w, index.get(names[j]!)!)));
      }
    }
  }
  return min;
}
// Greedy: start from each strong image, add the image that keeps the margin widest.
let best: { set: number[]; margin: number } = { set: [], margin: -1 };
for (const start of strong) {
  const set = [start];
  while (set.length < 4) {
    let pick = -1;
    let m = -1;
    for (const j of strong) {
      if (set.includes(j) || set.some((i) => names[i] === names[j])) continue;
      const mj = margin([...set, j]);
      if (mj > m) [pick, m] = [j, mj];
    }
    if (pick < 0) break;
    set.push(pick);
  }
  if (set.length === 4 && margin(set) > best.margin) best = { set, margin: margin(set) };
}
if (best.margin < MARGIN)
  throw new Error(`no four fixtures with a margin of ${MARGIN} (best ${best.margin.toFixed(3)})`);
const fixtureFiles = best.set.map((i) => files[i]!);
console.log(
  `worker fixtures: ${fixtureFiles.map((f) => `${f} (${labels[f]!.name})`).join(', ')}; margin ${best.margin.toFixed(3)}`,
);

// transformers.js's own pipeline (alpha dropped, its resize) on one of them, among five candidates.
env.allowRemoteModels = false;
env.localModelPath = `${join(ROOT, 'models')}/`;
const clf = await pipeline('zero-shot-image-classification', 'emoji-clip', { quantized: false });
const pool = ['red apple', 'dog face', 'rocket', 'pizza', 'sun with face', 'banana', 'automobile', 'guitar'];
let pipelineChoice: { image: string; candidates: string[] } | undefined;
for (const i of [...best.set, ...strong]) {
  const name = names[i]!;
  const candidates = [name, ...pool.filter((p) => p !== name)].slice(0, 5);
  const out = (await clf(join(FIX, files[i]!), candidates, {
    hypothesis_template: 'an emoji of {}',
  })) as Array<{
    label: string;
    score: number;
  }>;
  if (out[0]!.label === name && out[0]!.score > 0.6) {
    pipelineChoice = { image: files[i]!, candidates };
    console.log(`transformers.js example: ${JSON.stringify({ ...pipelineChoice, scores: out })}`);
    break;
  }
}
if (!pipelineChoice)
  throw new Error('no image the transformers.js pipeline ranks first with probability > 0.6');

// The demo: the widest-margin fixture with three other fixture names as labels (default template and background).
const demo = {
  image: `tests/fixtures/openmoji-eval/${fixtureFiles[0]}`,
  labels: fixtureFiles.map((f) => labels[f]!.name),
};
console.log(`demo: ${JSON.stringify(demo)}`);

if (cli.write) {
  const edit = (file: string, pattern: RegExp, replacement: string) => {
    const path = join(ROOT, file);
    const text = readFileSync(path, 'utf8');
    if (!pattern.test(text)) throw new Error(`${file}: ${pattern} not found`);
    writeFileSync(path, text.replace(pattern, replacement));
  };
  edit(
    'tests/worker/support/emoji-fixtures.ts',
    /export const FIXTURE_FILES: readonly string\[\] = \[[^\]]*\];/,
    `export const FIXTURE_FILES: readonly string[] = ${JSON.stringify(fixtureFiles).replaceAll(',', ', ').replaceAll('"', "'")};`,
  );
  edit(
    'tests/model/transformers-js.test.ts',
    /const IMAGE = '[^']*';[^\n]*\nconst CANDIDATES = \[[^\]]*\];/,
    `const IMAGE = '${pipelineChoice.image}'; // OpenMoji "${labels[pipelineChoice.image]!.name}"\nconst CANDIDATES = ${JSON.stringify(pipelineChoice.candidates).replaceAll(',', ', ').replaceAll('"', "'")};`,
  );
  edit(
    'scripts/start.mjs',
    /const DEMO = \{[\s\S]*?\n\};/,
    `const DEMO = {\n  image: '${demo.image}',\n  labels: ${JSON.stringify(demo.labels).replaceAll(',', ', ').replaceAll('"', "'")},\n};`,
  );
  // docs/development.md shows the curl line `npm start` prints.
  edit(
    'docs/development.md',
    /-F image=@tests\/fixtures\/openmoji-eval\/\S+ -F labels='[^']*'/,
    `-F image=@${demo.image} -F labels='${demo.labels.join(',')}'`,
  );
  const written = [
    'tests/worker/support/emoji-fixtures.ts',
    'tests/model/transformers-js.test.ts',
    'scripts/start.mjs',
  ];
  // The replacements are one line each; the project's formatter wraps them as `npm run lint` expects.
  const format = spawnSync(join(ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', ...written], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (format.status !== 0) throw new Error(`biome format exited with ${format.status}`);
  console.log(`wrote ${[...written, 'docs/development.md'].join(', ')}`);
}
