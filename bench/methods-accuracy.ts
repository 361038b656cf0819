/**
 * Accuracy of Descry's methods on the embedded model, each on the task it is made for, over held-out OpenMoji
 * (72 px transparent PNGs classified through the SDK with its default background; never trained on):
 *
 * - names (1,906 base emoji) and subcategories (98): bare labels, the template ensemble, classification by
 *   description read the paper's way ("{class}, {clause}", mean), FuDD (the paper's mean), TFUP and TFUP with
 *   descriptions (transductive: TFUP adapts on the test images without their labels, as in the paper);
 * - a shifted domain with many unlabelled images per class, TFUP's setting: OpenMoji's skin-tone and gender
 *   variants (2,183 images; none in training, whose art is the default-skin, per-gender base emoji of other
 *   styles), classified to their gender-neutral base emoji (181 classes) and to their subcategories (15).
 *
 * Descriptors and FuDD pair sentences come from OpenMoji's own metadata through the static provider (no LLM):
 * - descriptors of an emoji: its OpenMoji tags, `openmoji_tags` and annotation, minus every name and keyword that
 *   any training caption of that emoji could contain (`captions` in models/.data/classes.json, written by
 *   models/scripts/build-data.mjs): the model never saw the emoji paired with any of its descriptors;
 * - descriptors of a subcategory: the OpenMoji tags shared by at least two of its members (and by at least a tenth
 *   of them), most frequent first, at most 12. Training had no caption pairing a subcategory with a keyword;
 * - FuDD, for each pair its first pass confuses: the descriptors one class has and the other lacks, one sentence
 *   per attribute, "{a}, unlike {b}, has {descriptor}" (the differential sentence FuDD's LLM writes).
 *
 * Every figure has a bootstrap 95% interval over images; every claimed gain is a paired difference on the same
 * images with its own interval, so a difference of a few tenths is not called a gain.
 *
 *   npm run build:data && npm run bench:methods
 */
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
import { encodeTfupCache } from 'descry/predictors';
import {
  bootstrap,
  embedFiles,
  fmt,
  hitsAt,
  type Interval,
  loadClasses,
  loadVariants,
  ROOT,
  ranksOf,
  trainedTexts,
} from '../models/scripts/heldout.js';

const cli = new Command()
  .option('--model <dir>', 'model folder', join(ROOT, 'models', 'emoji-clip'))
  .option('--k <n>', 'FuDD ambiguous-set size', '10')
  .option(
    '--out <file>',
    'where to write the markdown table',
    join(ROOT, 'bench', 'results', 'methods-accuracy.md'),
  )
  .option('--readme', 'also write the table into README.md between the methods markers')
  .option(
    '--tasks <list>',
    'comma-separated subset of: names,subcategories,shifted-names,shifted-subcategories',
  )
  .parse()
  .opts<{ model: string; k: string; out: string; readme?: boolean; tasks?: string }>();

const classes = loadClasses();
const trained = trainedTexts(classes);
const variants = loadVariants();
const heldOut = classes.filter((c) => c.openmoji?.transparent72);
const descry = await Descry.load(cli.model);
const started = Date.now();
const heldOutImages = await embedFiles(
  descry,
  heldOut.map((c) => join(ROOT, c.openmoji!.transparent72!)),
  'white',
);
const variantImages = await embedFiles(
  descry,
  variants.map((v) => join(ROOT, v.image)),
  'white',
);

/** OpenMoji's descriptors of each emoji that none of its training captions contained. */
const nameDescriptors = new Map<string, string[]>();
const openmojiTags = new Map<string, Set<string>>();
for (const c of classes) {
  const om = c.openmoji;
  const tags = om ? [...om.tags, ...om.openmoji_tags].map((t) => t.toLowerCase().trim()) : [];
  openmojiTags.set(c.name, new Set(tags));
  const seen = trained.get(c.name) ?? new Set<string>();
  const list = [...tags, ...(om?.annotation ? [om.annotation.toLowerCase()] : [])].filter(
    (d) => d && d !== c.name && !seen.has(d),
  );
  nameDescriptors.set(c.name, [...new Set(list)]);
}
const subcategoryDescriptors = new Map<string, string[]>();
{
  const members = new Map<string, string[]>();
  for (const c of classes) members.set(c.subcategory, [...(members.get(c.subcategory) ?? []), c.name]);
  for (const [sub, names] of members) {
    const counts = new Map<string, number>();
    for (const n of names) for (const t of openmojiTags.get(n)!) counts.set(t, (counts.get(t) ?? 0) + 1);
    const min = Math.max(2, Math.ceil(names.length / 10));
    const list = [...counts]
      .filter(([t, n]) => n >= min && t !== sub)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 12)
      .map(([t]) => t);
    subcategoryDescriptors.set(sub, list);
  }
}

interface Task {
  key: string;
  name: string;
  labels: string[];
  truth: string[];
  images: Matrix;
  descriptors: DescriptorMap;
  shifted: boolean;
}
const task = (
  key: string,
  name: string,
  images: Matrix,
  truth: string[],
  descriptorsOf: Map<string, string[]>,
  shifted = false,
): Task => {
  const labels = [...new Set(truth)];
  const all = shifted ? labels : [...new Set([...descriptorsOf.keys()])];
  return {
    key,
    name,
    labels: all,
    truth,
    images,
    descriptors: Object.fromEntries(all.map((l) => [l, descriptorsOf.get(l) ?? []])),
    shifted,
  };
};
const tasks: Task[] = [
  task(
    'names',
    `names (${classes.length} classes, ${heldOut.length} images)`,
    heldOutImages,
    heldOut.map((c) => c.name),
    nameDescriptors,
  ),
  task(
    'subcategories',
    `subcategories (${subcategoryDescriptors.size} classes, ${heldOut.length} images)`,
    heldOutImages,
    heldOut.map((c) => c.subcategory),
    subcategoryDescriptors,
  ),
  task(
    'shifted-names',
    `shifted: skin-tone and gender variants to their base emoji (${new Set(variants.map((v) => v.base)).size} classes, ${variants.length} images)`,
    variantImages,
    variants.map((v) => v.base),
    nameDescriptors,
    true,
  ),
  task(
    'shifted-subcategories',
    `shifted: skin-tone and gender variants to their subcategory (${new Set(variants.map((v) => v.subcategory)).size} classes, ${variants.length} images)`,
    variantImages,
    variants.map((v) => v.subcategory),
    subcategoryDescriptors,
    true,
  ),
].filter((t) => !cli.tasks || cli.tasks.split(',').includes(t.key));

/** FuDD pair sentences from the difference of two classes' descriptors. */
function pairSentences(t: Task, a: string, b: string) {
  const da = t.descriptors[a] ?? [];
  const db = t.descriptors[b] ?? [];
  const has = (label: string) => openmojiTags.get(label) ?? new Set(t.descriptors[label] ?? []);
  const onlyA = da.filter((d) => !has(b).has(d));
  const onlyB = db.filter((d) => !has(a).has(d));
  const n = Math.max(onlyA.length, onlyB.length);
  return Array.from({ length: n }, (_, i) => ({
    attr_type: 'tag',
    prompt_pair: [
      onlyA[i] ? `${a}, unlike ${b}, has ${onlyA[i]}` : `a photo of a ${a}.`,
      onlyB[i] ? `${b}, unlike ${a}, has ${onlyB[i]}` : `a photo of a ${b}.`,
    ] as [string, string],
  }));
}

interface Row {
  method: string;
  top1: Interval;
  top5: Interval;
  ranks: number[];
  /** Wall time of the method's classification of all images, per image (embeddings given; machine-dependent). */
  msPerImage: number;
}
interface TaskResult {
  task: Task;
  rows: Row[];
  notes: string[];
  top10: boolean[];
}

function row(method: string, [results, ms]: [ClassificationResult[], number], t: Task): Row {
  const ranks = ranksOf(
    results.map((r) => r.predictions.map((p) => p.label)),
    t.truth,
  );
  return {
    method,
    top1: bootstrap(hitsAt(ranks, 1)),
    top5: bootstrap(hitsAt(ranks, 5)),
    ranks,
    msPerImage: ms / t.images.rows,
  };
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

async function run(t: Task): Promise<TaskResult> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const local = (c: CompiledClassifier, options: ClassifyOptions) =>
    timed(() => descry.classifyEmbeddings(t.images, c, options));
  const bare = await descry.compile({ labels: t.labels, templates: ['{}'] });
  rows.push(row('bare labels ("{}")', await local(bare, {}), t));
  const [clf, compileMs] = await timed(() =>
    descry.compile({ labels: t.labels, templates: EMOJI_TEMPLATES, descriptors: t.descriptors }),
  );
  const ensembleRun = await local(clf, {});
  const ensemble = ensembleRun[0];
  rows.push(row(`template ensemble (${EMOJI_TEMPLATES.length} templates)`, ensembleRun, t));
  const counts = t.labels.map((l) => t.descriptors[l]!.length);
  const prompts = counts.reduce((a, b) => a + b, 0);
  notes.push(
    `descriptors per class: mean ${(prompts / counts.length).toFixed(1)}, ` +
      `${counts.filter((n) => n === 0).length} of ${counts.length} classes have none (scored by their class-name prompt); ` +
      `compiling ${t.labels.length * EMOJI_TEMPLATES.length} template and ${prompts} descriptor prompts took ${(compileMs / 1000).toFixed(1)} s, once`,
  );
  rows.push(
    row(
      'descriptions, the paper\'s "{class}, {clause}", mean',
      await local(clf, { method: 'descriptions' }),
      t,
    ),
  );

  const k = Number(cli.k);
  const pairs = await descry.confusedPairs(t.images, clf, k);
  const source = staticSource({
    pairs: pairs
      .map((p) => ({ classes: p, attributes: pairSentences(t, ...p) }))
      .filter((p) => p.attributes.length),
  });
  const fudd = await local(clf, {
    method: 'fudd',
    fudd: { source, k, deadlineMs: 3_600_000, concurrency: 256 },
  });
  rows.push(row(`FuDD (k = ${k}, ${pairs.length} confused pairs), the paper's mean`, fudd, t));
  const sentences = new Set(pairs.flatMap((p) => pairSentences(t, ...p).flatMap((a) => a.prompt_pair))).size;
  notes.push(
    `FuDD: up to ${(k * (k - 1)) / 2} pair descriptions per image (LLM requests, each cached per pair forever); here ${pairs.length} ` +
      `distinct pairs and ${sentences} distinct sentences to encode (its ms / image includes encoding them, once)`,
  );
  const firstPass = ranksOf(
    ensemble.map((r) => r.predictions.map((p) => p.label)),
    t.truth,
  );
  const top10 = firstPass.map((r) => r < k);

  const [cache, adaptMs] = await timed(() => descry.adapt(clf, t.images));
  const K = cache.keyIndices.length / cache.classCount;
  const pure = [...cache.keyIndices].filter(
    (idx, m) => t.labels[cache.keyLabels[m]!] === t.truth[idx]!,
  ).length;
  notes.push(
    `TFUP: N = ${t.images.rows} unlabelled images, C = ${t.labels.length}, K = ${K} keys per class, cache ${cache.keyIndices.length} keys ` +
      `(${((cache.keyIndices.length * t.images.cols * 4) / 1024).toFixed(0)} KiB of key features; stored with its pool ${(encodeTfupCache(cache).length / 1024).toFixed(0)} KiB); ` +
      `${((100 * pure) / cache.keyIndices.length).toFixed(1)}% of keys carry the right pseudo-label; building it took ${(adaptMs / 1000).toFixed(1)} s`,
  );
  rows.push(row('TFUP (on the template ensemble)', await local(clf, { method: 'tfup', tfup: { cache } }), t));
  const dcache = await descry.adapt(clf, t.images, { weights: 'descriptions' });
  rows.push(
    row(
      'TFUP with descriptions',
      await local(clf, { method: 'tfup', tfup: { cache: dcache, weights: 'descriptions' } }),
      t,
    ),
  );
  return { task: t, rows, notes, top10 };
}

const results: TaskResult[] = [];
for (const t of tasks) {
  results.push(await run(t));
  console.error(`${t.name}: done (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

const byMethod = (r: TaskResult, prefix: string) => r.rows.find((x) => x.method.startsWith(prefix))!;
const gain = (a: Row, b: Row, k: number, only?: boolean[]) => {
  const keep = (xs: number[]) => (only ? xs.filter((_, i) => only[i]) : xs);
  return bootstrap(keep(hitsAt(a.ranks, k)), keep(hitsAt(b.ranks, k)));
};

const lines: string[] = [
  'Held-out OpenMoji (CC BY-SA), 72 px transparent PNGs classified through the SDK from their bytes with the default',
  `background (white); model ${cli.model.replace(ROOT, '')}. Top-1 / top-5 in %, bootstrap 95% interval over`,
  'images in brackets. Descriptors and FuDD sentences: OpenMoji metadata never paired with the class in training',
  "(see bench/methods-accuracy.ts); no LLM. TFUP adapts on each task's images without their labels.",
  '',
];
for (const r of results) {
  lines.push(
    `**${r.task.name}**`,
    '',
    '| method | top-1 % | top-5 % | ms / image |',
    '| --- | ---: | ---: | ---: |',
  );
  for (const x of r.rows)
    lines.push(`| ${x.method} | ${fmt(x.top1)} | ${fmt(x.top5)} | ${x.msPerImage.toFixed(2)} |`);
  lines.push('', ...r.notes.map((n) => `- ${n}`));
  const ens = byMethod(r, 'template ensemble');
  const desc = byMethod(r, 'descriptions');
  const fudd = byMethod(r, 'FuDD');
  const tfup = byMethod(r, 'TFUP (on');
  const n10 = r.top10.filter(Boolean).length;
  const top1On = (x: Row) => bootstrap(hitsAt(x.ranks, 1).filter((_, i) => r.top10[i]));
  lines.push(
    `- descriptions − ensemble, top-1: ${fmt(gain(desc, ens, 1))} points`,
    `- on the ${n10} images whose first-pass top-${cli.k} holds the truth: FuDD ${fmt(top1On(fudd))}, descriptions ${fmt(top1On(desc))}; FuDD − descriptions, top-1: ${fmt(gain(fudd, desc, 1, r.top10))} points`,
    `- TFUP − ensemble (its zero-shot baseline), top-1: ${fmt(gain(tfup, ens, 1))} points; top-5: ${fmt(gain(tfup, ens, 5))}`,
    '',
  );
}
const table = lines.join('\n');
console.log(table);
await mkdir(join(cli.out, '..'), { recursive: true });
await writeFile(cli.out, `${table}\nReproduce: \`npm run build:data && npm run bench:methods\`\n`);
if (cli.readme) {
  const readme = join(ROOT, 'README.md');
  const text = await readFile(readme, 'utf8');
  await writeFile(
    readme,
    text.replace(
      /<!-- methods:start -->[\s\S]*?<!-- methods:end -->/,
      `<!-- methods:start -->\n${table}\n<!-- methods:end -->`,
    ),
  );
}
