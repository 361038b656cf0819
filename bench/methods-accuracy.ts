/**
 * Accuracy of Descry's methods on the embedded model over held-out OpenMoji images, for two tasks:
 * all base emoji names, and subcategories. Offline, every description comes from the dataset's own
 * metadata through the static provider, never from an LLM:
 * - descriptors of an emoji: its OpenMoji tags and annotation (written by OpenMoji's authors);
 *   descriptors of a subcategory: the names of its member emoji;
 * - FuDD pair descriptions: for names, the tags one emoji of the pair has and the other lacks; for
 *   subcategories, member names of each side. Only the pairs that FuDD's first pass actually
 *   confuses are generated (the production path: precompute confused pairs), then served by
 *   `staticSource`.
 * TFUP's unlabelled images are the test images themselves, without their labels (transductive, as
 * in the paper).
 *
 *   npm run bench:methods                 # all held-out OpenMoji images (needs models/.data: npm run build:data)
 *   npm run bench:methods -- --subset     # the committed evaluation subset only
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import type {
  ClassificationResult,
  ClassifyOptions,
  CompiledClassifier,
  DescriptorMap,
  Matrix,
} from 'descry';
import { Descry, EMOJI_TEMPLATES } from 'descry';
import { staticSource } from 'descry/llm';

const root = new URL('..', import.meta.url).pathname;
const cli = new Command()
  .option('--subset', 'use the committed evaluation subset instead of all held-out images')
  .option('--k <n>', 'FuDD ambiguous-set size', '10')
  .option(
    '--out <file>',
    'where to write the markdown table',
    join(root, 'bench', 'results', 'methods-accuracy.md'),
  )
  .parse()
  .opts<{ subset?: boolean; k: string; out: string }>();

interface EmojiClass {
  name: string;
  subcategory: string;
  tags: string[];
  annotation?: string;
  image: string;
}

const readable = (subcategory: string) => subcategory.replaceAll('-', ' ');

/** Held-out images with their class metadata. */
async function loadData(): Promise<{ items: EmojiClass[]; source: string }> {
  const full = join(root, 'models', '.data', 'classes.json');
  if (!cli.subset && existsSync(full)) {
    const data = JSON.parse(await readFile(full, 'utf8')) as {
      classes: Array<{
        name: string;
        subcategory: string;
        tags?: string[];
        openmoji_tags?: string[];
        annotation?: string;
        openmoji_image?: string;
      }>;
    };
    const items = data.classes
      .filter((c) => c.openmoji_image)
      .map((c) => ({
        name: c.name,
        subcategory: c.subcategory,
        tags: [...new Set([...(c.tags ?? []), ...(c.openmoji_tags ?? [])])],
        ...(c.annotation ? { annotation: c.annotation } : {}),
        image: join(root, c.openmoji_image!),
      }));
    return { items, source: `all ${items.length} held-out OpenMoji images (models/.data)` };
  }
  const dir = join(root, 'tests', 'fixtures', 'openmoji-eval');
  const labels = JSON.parse(await readFile(join(dir, 'labels.json'), 'utf8')) as Record<
    string,
    { name: string; subcategory: string; tags?: string[]; annotation?: string }
  >;
  const items = Object.entries(labels).map(([file, l]) => ({
    name: l.name,
    subcategory: l.subcategory,
    tags: l.tags ?? [],
    ...(l.annotation ? { annotation: l.annotation } : {}),
    image: join(dir, file),
  }));
  return {
    items,
    source: `the committed subset of ${items.length} OpenMoji images (tests/fixtures/openmoji-eval)`,
  };
}

const { items, source } = await loadData();
const classes = JSON.parse(
  await readFile(join(root, 'tests', 'fixtures', 'emoji-classes.json'), 'utf8'),
) as Array<{
  name: string;
  subcategory: string;
  tags?: string[];
  openmoji_tags?: string[];
  annotation?: string;
}>;

const descry = await Descry.load(join(root, 'models', 'emoji-clip'));
const images: Matrix = await (async () => {
  const parts: Matrix[] = [];
  for (let i = 0; i < items.length; i += 64) {
    const batch = await Promise.all(
      items.slice(i, i + 64).map(async (item) => new Uint8Array(await readFile(item.image))),
    );
    parts.push(await descry.embedImages(batch));
  }
  const cols = parts[0]!.cols;
  const data = new Float32Array(items.length * cols);
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  return { rows: items.length, cols, data };
})();

interface Task {
  name: string;
  labels: string[];
  truth: number[];
  descriptors: DescriptorMap;
  /** How this task's descriptors are best read: the prompt template and the pooling. */
  describedAs: { template: string; aggregation: 'mean' | 'max'; why: string };
  /** Differential descriptions of one pair, from metadata. */
  pair: (a: string, b: string) => Array<{ attr_type: string; prompt_pair: [string, string] }>;
}

function namesTask(): Task {
  const meta = new Map<string, { tags: string[]; annotation?: string }>();
  for (const c of classes) {
    if (meta.has(c.name)) continue;
    const tags = [...new Set([...(c.tags ?? []), ...(c.openmoji_tags ?? [])])];
    meta.set(c.name, { tags, ...(c.annotation ? { annotation: c.annotation } : {}) });
  }
  const labels = [...meta.keys()];
  const index = new Map(labels.map((l, i) => [l, i]));
  const descriptors: DescriptorMap = {};
  for (const [label, m] of meta) {
    const list = m.tags.filter((t) => t !== label);
    if (m.annotation && m.annotation !== label) list.push(m.annotation);
    descriptors[label] = [...new Set(list)];
  }
  return {
    name: `all base emoji names (${labels.length} classes)`,
    labels,
    truth: items.map((item) => index.get(item.name) ?? -1),
    descriptors,
    describedAs: {
      template: '{class}, {clause}',
      aggregation: 'mean',
      why: 'tags are attributes of the emoji',
    },
    pair(a, b) {
      const ta = new Set(meta.get(a)?.tags ?? []);
      const tb = new Set(meta.get(b)?.tags ?? []);
      const onlyA = [...ta].filter((t) => !tb.has(t));
      const onlyB = [...tb].filter((t) => !ta.has(t));
      const n = Math.max(onlyA.length, onlyB.length);
      return Array.from({ length: n }, (_, i) => ({
        attr_type: 'tag',
        prompt_pair: [
          onlyA[i] ? `an emoji of ${a}, with ${onlyA[i]}` : `an emoji of ${a}`,
          onlyB[i] ? `an emoji of ${b}, with ${onlyB[i]}` : `an emoji of ${b}`,
        ] as [string, string],
      }));
    },
  };
}

function subcategoryTask(): Task {
  const members = new Map<string, string[]>();
  for (const c of classes) {
    const key = readable(c.subcategory);
    members.set(key, [...(members.get(key) ?? []), c.name]);
  }
  const labels = [...members.keys()];
  const index = new Map(labels.map((l, i) => [l, i]));
  const descriptors: DescriptorMap = Object.fromEntries(labels.map((l) => [l, [...new Set(members.get(l))]]));
  return {
    name: `subcategories (${labels.length} classes)`,
    labels,
    truth: items.map((item) => index.get(readable(item.subcategory)) ?? -1),
    descriptors,
    describedAs: {
      template: 'an emoji of {descriptor}',
      aggregation: 'max',
      why: 'member names are alternatives, not attributes',
    },
    pair(a, b) {
      const ma = descriptors[a]!;
      const mb = descriptors[b]!;
      const n = Math.min(16, Math.max(ma.length, mb.length));
      return Array.from({ length: n }, (_, i) => ({
        attr_type: 'member',
        prompt_pair: [`an emoji of ${ma[i % ma.length]}`, `an emoji of ${mb[i % mb.length]}`] as [
          string,
          string,
        ],
      }));
    },
  };
}

function accuracy(results: ClassificationResult[], task: Task): { top1: number; top5: number } {
  let top1 = 0;
  let top5 = 0;
  let counted = 0;
  results.forEach((result, i) => {
    const truth = task.labels[task.truth[i]!];
    if (truth === undefined) return;
    counted++;
    const ranked = result.predictions.map((p) => p.label);
    if (ranked[0] === truth) top1++;
    if (ranked.slice(0, 5).includes(truth)) top5++;
  });
  return { top1: (100 * top1) / counted, top5: (100 * top5) / counted };
}

async function runTask(task: Task) {
  const rows: Array<[string, { top1: number; top5: number }]> = [];
  const local = (c: CompiledClassifier, options: ClassifyOptions) =>
    descry.classifyEmbeddings(images, c, options);
  const bare = await descry.compile({ labels: task.labels, templates: ['{}'] });
  rows.push(['bare labels ("{}")', accuracy(await local(bare, {}), task)]);
  const paper = await descry.compile({
    labels: task.labels,
    templates: EMOJI_TEMPLATES,
    descriptors: task.descriptors,
  });
  rows.push([
    `template ensemble (${EMOJI_TEMPLATES.length} templates)`,
    accuracy(await local(paper, {}), task),
  ]);
  rows.push([
    'descriptions, the paper\'s prompt "{class}, {clause}" and mean',
    accuracy(await local(paper, { method: 'descriptions' }), task),
  ]);
  const { template, aggregation, why } = task.describedAs;
  const ensemble = await descry.compile({
    labels: task.labels,
    templates: EMOJI_TEMPLATES,
    descriptors: task.descriptors,
    descriptorTemplate: template,
  });
  if (template !== '{class}, {clause}' || aggregation !== 'mean') {
    rows.push([
      `descriptions, prompt "${template}" and ${aggregation} (${why})`,
      accuracy(await local(ensemble, { method: 'descriptions', aggregation }), task),
    ]);
  }

  // FuDD: generate static pair descriptions for the pairs the first pass confuses, then run it.
  const k = Number(cli.k);
  const pairs = await descry.confusedPairs(images, ensemble, k);
  const sourceJson = {
    pairs: pairs
      .map((classes) => ({ classes, attributes: task.pair(...classes) }))
      .filter((p) => p.attributes.length > 0),
  };
  const fudd = await descry.classifyEmbeddings(images, ensemble, {
    method: 'fudd',
    fudd: { source: staticSource(sourceJson), k, deadlineMs: 600_000, concurrency: 64 },
  });
  rows.push([
    `FuDD (k = ${k}, ${sourceJson.pairs.length} confused pairs), mean (the paper's)`,
    accuracy(fudd, task),
  ]);
  if (aggregation === 'max') {
    const fuddMax = await descry.classifyEmbeddings(images, ensemble, {
      method: 'fudd',
      fudd: { source: staticSource(sourceJson), k, deadlineMs: 600_000, concurrency: 64, pooling: 'max' },
    });
    rows.push([`FuDD, max over a class's pair sentences (${why})`, accuracy(fuddMax, task)]);
  }

  const tfup = await descry.adapt(ensemble, images);
  rows.push([
    'TFUP (on the template ensemble)',
    accuracy(await local(ensemble, { method: 'tfup', tfup: { cache: tfup } }), task),
  ]);
  const tfupDescribed = await descry.adapt(ensemble, images, { weights: 'descriptions' });
  rows.push([
    'TFUP with descriptions',
    accuracy(
      await local(ensemble, { method: 'tfup', tfup: { cache: tfupDescribed, weights: 'descriptions' } }),
      task,
    ),
  ]);
  return rows;
}

const lines = [
  `Held-out images: ${source}. Model: models/emoji-clip. Descriptors and FuDD pair descriptions come from`,
  'the dataset metadata (OpenMoji tags and annotations; member names of subcategories) through the static',
  'provider, not from an LLM. TFUP adapts on the same images without their labels.',
  '',
];
for (const task of [namesTask(), subcategoryTask()]) {
  const rows = await runTask(task);
  lines.push(`**${task.name}**`, '', '| method | top-1 % | top-5 % |', '| --- | ---: | ---: |');
  for (const [name, { top1, top5 }] of rows)
    lines.push(`| ${name} | ${top1.toFixed(1)} | ${top5.toFixed(1)} |`);
  lines.push('');
}
const table = lines.join('\n');
console.log(table);
await mkdir(join(cli.out, '..'), { recursive: true });
await writeFile(
  cli.out,
  `${table}\n\nReproduce: \`npm run bench:methods${cli.subset ? ' -- --subset' : ''}\`\n`,
);
