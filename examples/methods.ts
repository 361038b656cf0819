/**
 * The three methods beyond plain prompts, on the embedded model and committed OpenMoji images
 * (held out from training), classifying emoji into subcategories:
 * - classification by description, with its explanation (descriptors: the names of each
 *   subcategory's member emoji, from tests/fixtures/emoji-classes.json);
 * - FuDD, with pair descriptions from a static JSON source standing in for an LLM;
 * - TFUP, adapting to unlabelled images of the OpenMoji style.
 *
 *   npx tsx examples/methods.ts
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Descry, EMOJI_TEMPLATES } from 'descry';
import { staticSource } from 'descry/llm';

const dir = 'tests/fixtures/openmoji-eval';
const image = (file: string) => readFile(join(dir, file));
const descry = await Descry.load('models/emoji-clip');

const labels = ['food fruit', 'food vegetable', 'animal mammal', 'animal bird', 'transport air', 'clothing'];
const classes = JSON.parse(await readFile('tests/fixtures/emoji-classes.json', 'utf8')) as Array<{
  name: string;
  subcategory: string;
}>;
const members = (label: string) =>
  classes.filter((c) => c.subcategory.replaceAll('-', ' ') === label).map((c) => c.name);
const descriptors = Object.fromEntries(labels.map((label) => [label, members(label)]));
const pineapple = await image('1F34D.png');

// Plain zero-shot, for comparison.
const [plain] = await descry.classify(pineapple, labels, { templates: EMOJI_TEMPLATES, topK: 2 });
console.log('zero-shot:', plain!.predictions.map((p) => `${p.label} ${p.score.toFixed(2)}`).join(', '));

// 1. Classification by description, explained. Member names are alternatives, so: max, not mean.
const [described] = await descry.classify(pineapple, labels, {
  method: 'descriptions',
  descriptors,
  descriptorTemplate: 'an emoji of {descriptor}',
  aggregation: 'max',
  templates: EMOJI_TEMPLATES,
  topK: 2,
});
const best = described!.predictions[0]!;
console.log(
  `descriptions: ${best.label} ${best.score.toFixed(2)}, because I saw ${best.evidence![0]!.descriptor}`,
);
console.log(
  '  evidence:',
  best
    .evidence!.slice(0, 3)
    .map((e) => `${e.descriptor} ${e.cosine.toFixed(3)}`)
    .join(', '),
);

// 2. FuDD: the ambiguous top-k re-ranked with sentences that tell each pair apart.
const pairs = labels.flatMap((a, i) =>
  labels.slice(i + 1).map((b) => ({
    classes: [a, b] as [string, string],
    attributes: members(a)
      .slice(0, 4)
      .map((m, j) => ({
        attr_type: 'member',
        prompt_pair: [`an emoji of ${m}`, `an emoji of ${members(b)[j % members(b).length]}`] as [
          string,
          string,
        ],
      })),
  })),
);
const [fudd] = await descry.classify(pineapple, labels, {
  method: 'fudd',
  templates: EMOJI_TEMPLATES,
  fudd: { source: staticSource({ pairs }), k: 3, deadlineMs: 2_000 },
  topK: 3,
});
console.log('fudd:', fudd!.predictions.map((p) => `${p.label} ${p.score.toFixed(2)}`).join(', '));

// 3. TFUP: a cache of confident unlabelled images of the target style corrects predictions.
const files = (await readdir(dir)).filter((f) => f.endsWith('.png'));
const unlabelled = await Promise.all(files.map((f) => image(f)));
const classifier = await descry.compile({ labels, templates: EMOJI_TEMPLATES });
const cache = await descry.adapt(classifier, unlabelled);
const [adapted] = await descry.classify(pineapple, classifier, { method: 'tfup', tfup: { cache }, topK: 2 });
console.log(
  `tfup (${cache.pool.rows} unlabelled images):`,
  adapted!.predictions.map((p) => `${p.label} ${p.score.toFixed(2)}`).join(', '),
);
