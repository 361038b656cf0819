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
 * Labels with subclasses (CHiLS, sdk/predictors/subclasses.ts) on three hierarchies of the same held-out images:
 * subcategories ← their emoji names (98 labels), groups ← their subgroups and groups ← their emoji names (9
 * labels), against the template ensemble and classification by description with the members as descriptors (the
 * paper's mean, and max). Conformal prediction (sdk/predictors/conformal.ts): coverage and set size over 1,000
 * random calibration/test splits (`--splits`) at α = 0.1 and 0.05. Open set: each image is scored once with its true label
 * among the candidates and once without it; how well a "none of these" score separates the two (AUROC), how many
 * label-less images it rejects when 5% of the others are rejected, and what the calibrated conformal set rejects.
 *
 *   npm run build:data && npm run bench:methods
 *   npm run bench:methods -- --tasks subclasses,conformal,open-set --readme   (the new sections only, minutes)
 *
 * Output: bench/results/methods-accuracy.md and, with `--readme`, docs/methods.md, one marked block per section
 * (methods, methods-subclasses, methods-conformal, methods-open-set): a run rewrites the blocks of what it ran.
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
import {
  type ConformalMethod,
  calibrationSizeNeeded,
  confidence,
  conformalQuantile,
  encodeTfupCache,
  fitConformal,
  fitNoneOfThese,
  matrixRow,
  noneOfThese,
  predictionSet,
  rankDescending,
  softmax,
  zeroShot,
} from 'descry/predictors';
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
import { writeMarkedBlock } from '../scripts/doc-blocks.mjs';
import { calibrate } from '../sdk/classifier/calibrate.js';
import { compileSubclasses, subclassScorer } from '../sdk/classifier/subclasses.js';

const cli = new Command()
  .option('--model <dir>', 'model folder', join(ROOT, 'models', 'emoji-clip'))
  .option('--k <n>', 'FuDD ambiguous-set size', '10')
  .option(
    '--out <file>',
    'where to write the markdown table',
    join(ROOT, 'bench', 'results', 'methods-accuracy.md'),
  )
  .option('--readme', 'also write the table into the methods block of the docs')
  .option(
    '--splits <n>',
    'random calibration/test splits for conformal coverage (the open set uses at most 100)',
    '1000',
  )
  .option('--calibration <n>', 'calibration images per split', '500')
  .option(
    '--tasks <list>',
    'comma-separated subset of: names,subcategories,shifted-names,shifted-subcategories,subclasses,conformal,open-set',
  )
  .parse()
  .opts<{
    model: string;
    k: string;
    out: string;
    readme?: boolean;
    tasks?: string;
    splits: string;
    calibration: string;
  }>();
const wanted = (key: string) => !cli.tasks || cli.tasks.split(',').includes(key);

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
const variantImages =
  wanted('shifted-names') || wanted('shifted-subcategories')
    ? await embedFiles(
        descry,
        variants.map((v) => join(ROOT, v.image)),
        'white',
      )
    : { rows: 0, cols: heldOutImages.cols, data: new Float32Array() };

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
].filter((t) => wanted(t.key));

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

/**
 * The output in sections, each one marked block of docs/methods.md and of the results file
 * (`<!-- methods:start -->` …): a run of some `--tasks` rewrites only the blocks of the sections it ran, so the
 * slow four-task table and the fast CHiLS / conformal / open-set sections can be rerun apart.
 */
const sections: Array<{ block: string; lines: string[] }> = [];
function section(block: string, intro: string[] = []): string[] {
  const out = [...intro];
  sections.push({ block, lines: out });
  return out;
}

let lines = section('methods', [
  'Held-out OpenMoji (CC BY-SA), 72 px transparent PNGs classified through the SDK from their bytes with the default',
  `background (white); model ${cli.model.replace(ROOT, '')}. Top-1 / top-5 in %, bootstrap 95% interval over`,
  'images in brackets. Descriptors and FuDD sentences: OpenMoji metadata never paired with the class in training',
  "(see bench/methods-accuracy.ts); no LLM. TFUP adapts on each task's images without their labels.",
  '',
]);
if (results.length === 0) lines.length = 0;
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

// ---------------------------------------------------------------------------------------------------------------
// Labels with subclasses (CHiLS), conformal sets, and "none of these"
// ---------------------------------------------------------------------------------------------------------------

const scoring = {
  logitScale: descry.info.logitScale,
  logitBias: descry.info.logitBias,
  activation: descry.info.family === 'siglip' ? ('sigmoid' as const) : ('softmax' as const),
};

/** One method's scores of every held-out image: row i is image i, column c label c. */
interface ScoreTable {
  name: string;
  labels: string[];
  truth: number[];
  score: Float32Array[];
  logit: Float32Array[];
  cosine: Float32Array[];
}

/** Members of each group, in first-seen order, over all classes. */
function groupBy(
  key: (c: (typeof classes)[number]) => string,
  member: (c: (typeof classes)[number]) => string,
) {
  const groups = new Map<string, string[]>();
  for (const c of classes) {
    const list = groups.get(key(c)) ?? [];
    groups.set(key(c), list);
    if (!list.includes(member(c))) list.push(member(c));
  }
  return Object.fromEntries(groups);
}

/** Rank of label y (0 = first) under rankDescending's order: higher score first, ties to the lower index. */
function rankOf(score: Float32Array, y: number): number {
  let r = 0;
  for (let c = 0; c < score.length; c++) if (score[c]! > score[y]! || (score[c] === score[y] && c < y)) r++;
  return r;
}

function rowFromTable(method: string, t: ScoreTable, ms: number): Row {
  const ranks = t.truth.map((y, i) => rankOf(t.score[i]!, y));
  return {
    method,
    top1: bootstrap(hitsAt(ranks, 1)),
    top5: bootstrap(hitsAt(ranks, 5)),
    ranks,
    msPerImage: ms / t.truth.length,
  };
}

function tableOf(
  name: string,
  labels: string[],
  truthNames: string[],
  score: (image: Float32Array) => ClassScoresLike,
) {
  const index = new Map(labels.map((l, c) => [l, c]));
  const t: ScoreTable = {
    name,
    labels,
    truth: truthNames.map((l) => index.get(l)!),
    score: [],
    logit: [],
    cosine: [],
  };
  const start = performance.now();
  for (let i = 0; i < heldOutImages.rows; i++) {
    const s = score(matrixRow(heldOutImages, i));
    t.score.push(s.score);
    t.logit.push(s.logit);
    t.cosine.push(s.cosine);
  }
  return { table: t, ms: performance.now() - start };
}
type ClassScoresLike = { score: Float32Array; logit: Float32Array; cosine: Float32Array };

interface Hierarchy {
  key: string;
  name: string;
  truth: string[];
  members: Record<string, string[]>;
}
const hierarchies: Hierarchy[] = [
  {
    key: 'subcategories',
    name: 'subcategories ← their emoji names',
    truth: heldOut.map((c) => c.subcategory),
    members: groupBy(
      (c) => c.subcategory,
      (c) => c.name,
    ),
  },
  {
    key: 'groups-subgroups',
    name: 'groups ← their subgroups',
    truth: heldOut.map((c) => c.category),
    members: groupBy(
      (c) => c.category,
      (c) => c.subcategory,
    ),
  },
  {
    key: 'groups-names',
    name: 'groups ← their emoji names',
    truth: heldOut.map((c) => c.category),
    members: groupBy(
      (c) => c.category,
      (c) => c.name,
    ),
  },
];

/** Score tables other sections reuse: CHiLS and the ensemble per hierarchy, and the names ensemble. */
const tables = new Map<string, ScoreTable>();

async function runHierarchy(h: Hierarchy): Promise<{ h: Hierarchy; rows: Row[]; notes: string[] }> {
  const labels = Object.keys(h.members);
  const clf = await descry.compile({ labels, templates: EMOJI_TEMPLATES, descriptors: h.members });
  const t: Task = {
    key: h.key,
    name: h.name,
    labels,
    truth: h.truth,
    images: heldOutImages,
    descriptors: h.members,
    shifted: false,
  };
  const local = (options: ClassifyOptions) =>
    timed(() => descry.classifyEmbeddings(heldOutImages, clf, options));
  const rows: Row[] = [];
  const ensemble = tableOf(`${h.key}, template ensemble`, labels, h.truth, (image) =>
    zeroShot(image, clf.weights, scoring),
  );
  tables.set(`${h.key}/ensemble`, ensemble.table);
  rows.push(
    rowFromTable(`template ensemble (${EMOJI_TEMPLATES.length} templates)`, ensemble.table, ensemble.ms),
  );
  rows.push(
    row(
      'descriptions: members as descriptors, the paper\'s "{class}, {clause}", mean',
      await local({ method: 'descriptions' }),
      t,
    ),
  );
  rows.push(
    row(
      'descriptions: members as descriptors, max',
      await local({ method: 'descriptions', aggregation: 'max' }),
      t,
    ),
  );
  const [withSubs, compileMs] = await timed(() =>
    compileSubclasses(clf, h.members, { embedTexts: (texts) => descry.embedTexts(texts) }),
  );
  const variants: [string, string, { reweight: boolean; includeLabel: boolean }][] = [
    [
      'chils-norw',
      'CHiLS without reweighting (their CHiLSNoRW: best subclass → its label)',
      { reweight: false, includeLabel: false },
    ],
    [
      'chils',
      "CHiLS (the paper: subclass probability × its label's probability)",
      { reweight: true, includeLabel: false },
    ],
    [
      'chils-wsup',
      'CHiLS, each label also one of its own subclasses (their true_wsup)',
      { reweight: true, includeLabel: true },
    ],
  ];
  for (const [key, method, options] of variants) {
    const short = {
      'chils-norw': 'CHiLS without reweighting',
      chils: 'CHiLS',
      'chils-wsup': 'CHiLS with label',
    }[key]!;
    const run = tableOf(`${h.key}, ${short}`, labels, h.truth, subclassScorer(withSubs, scoring, options));
    tables.set(`${h.key}/${key}`, run.table);
    rows.push(rowFromTable(method, run.table, run.ms));
  }
  const subclassCount = Object.values(h.members).reduce((n, list) => n + list.length, 0);
  const notes = [
    `${labels.length} labels, ${subclassCount} subclasses (mean ${(subclassCount / labels.length).toFixed(1)} per label); compiling the subclasses (${subclassCount * EMOJI_TEMPLATES.length} prompts) took ${(compileMs / 1000).toFixed(1)} s, once; descriptions use the same members as descriptors`,
  ];
  return { h, rows, notes };
}

const hierarchyResults: { h: Hierarchy; rows: Row[]; notes: string[] }[] = [];
if (wanted('subclasses') || wanted('conformal') || wanted('open-set')) {
  for (const h of hierarchies) {
    if (!wanted('subclasses') && h.key === 'groups-subgroups') continue;
    hierarchyResults.push(await runHierarchy(h));
    console.error(`subclasses, ${h.name}: done (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
}
if (wanted('conformal') || wanted('open-set')) {
  const labels = classes.map((c) => c.name);
  const clf = await descry.compile({ labels, templates: EMOJI_TEMPLATES });
  tables.set(
    'names/ensemble',
    tableOf(
      'names, template ensemble',
      labels,
      heldOut.map((c) => c.name),
      (image) => zeroShot(image, clf.weights, scoring),
    ).table,
  );
}

if (wanted('subclasses')) {
  lines = section('methods-subclasses');
  lines.push(
    '**Labels with subclasses (CHiLS, Novack et al. ICML 2023) on the held-out images**',
    '',
    'Each label is given its members as subclasses; the descriptions rows give the same members to classification by',
    'description as descriptors. Paired differences with bootstrap 95% intervals over images.',
    '',
  );
  for (const r of hierarchyResults) {
    lines.push(`*${r.h.name} (${Object.keys(r.h.members).length} classes, ${heldOut.length} images)*`, '');
    lines.push('| method | top-1 % | top-5 % | ms / image |', '| --- | ---: | ---: | ---: |');
    for (const x of r.rows)
      lines.push(`| ${x.method} | ${fmt(x.top1)} | ${fmt(x.top5)} | ${x.msPerImage.toFixed(2)} |`);
    const chils = r.rows.find((x) => x.method.startsWith('CHiLS (the paper'))!;
    const find = (prefix: string) => r.rows.find((x) => x.method.startsWith(prefix))!;
    lines.push(
      '',
      ...r.notes.map((n) => `- ${n}`),
      `- CHiLS − template ensemble, top-1: ${fmt(gain(chils, find('template ensemble'), 1))} points; top-5: ${fmt(gain(chils, find('template ensemble'), 5))}`,
      `- CHiLS − descriptions (mean), top-1: ${fmt(gain(chils, find('descriptions: members as descriptors, the paper'), 1))} points`,
      `- CHiLS − descriptions (max), top-1: ${fmt(gain(chils, find('descriptions: members as descriptors, max'), 1))} points`,
      `- CHiLS − CHiLS without reweighting, top-1: ${fmt(gain(chils, find('CHiLS without'), 1))} points`,
      `- descriptions (max) − descriptions (mean), top-1: ${fmt(gain(find('descriptions: members as descriptors, max'), find('descriptions: members as descriptors, the paper'), 1))} points`,
      '',
    );
  }
}

/** Per image, its labels' nonconformity in rank order (non-decreasing), as conformal.ts computes it. */
function ladders(score: Float32Array[], method: ConformalMethod): Float64Array[] {
  return score.map((p) => {
    const order = rankDescending(p);
    const out = new Float64Array(p.length);
    if (method === 'lac') {
      order.forEach((c, r) => {
        out[r] = 1 - p[c]!;
      });
      return out;
    }
    let total = 0;
    for (let c = 0; c < p.length; c++) total += p[c]!;
    let above = 0;
    order.forEach((c, r) => {
      out[r] = above + (method === 'raps' ? 0.001 * Math.max(0, r + 1 - 1) : 0);
      above += total > 0 ? p[c]! / total : 1 / p.length;
    });
    return out;
  });
}

/** How many entries of a non-decreasing ladder are ≤ q (the set size). */
function countAtMost(ladder: Float64Array, q: number): number {
  let lo = 0;
  let hi = ladder.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ladder[mid]! <= q) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function percentile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!;
}

/** Deterministic shuffles for the splits (mulberry32). */
function splitter(seed: number) {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (n: number) => {
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    return perm;
  };
}

const SPLITS = Number(cli.splits);
const N_CAL = Number(cli.calibration);
const ALPHAS = [0.1, 0.05];
const METHODS: ConformalMethod[] = ['lac', 'aps', 'raps'];
const conformalSources = [
  'names/ensemble',
  'subcategories/ensemble',
  'subcategories/chils',
  'groups-names/chils',
];

/** The true label's position in image i's ladder. */
const truePosition = (t: ScoreTable, i: number) => rankDescending(t.score[i]!).indexOf(t.truth[i]!);

if (wanted('conformal')) {
  lines = section('methods-conformal');
  lines.push(
    `**Conformal prediction sets (split conformal; ${SPLITS} random splits into ${N_CAL} calibration and ${heldOut.length - N_CAL} test images)**`,
    '',
    'Coverage: share of test images whose set holds the true label; mean over splits ± its standard error, and the',
    '2.5th and 97.5th percentiles of the splits. The guarantee is on the expectation, which is exactly',
    `k/(n+1) = ⌈(n+1)(1−α)⌉/(n+1) here (${N_CAL} calibration images, no tied scores): in [1 − α, 1 − α + 1/(n+1)]. The`,
    'check asks the mean for [1 − α, 1 − α + 0.03] up to two standard errors (the expectation lies 0.02 points above',
    '1 − α, so a mean of finitely many splits falls below it about half of the time). Set sizes over all test images of',
    'all splits.',
    '',
    '| scores | α | method | coverage % (± SE) [splits 2.5–97.5%] | k/(n+1) % | check | mean set size | median | empty sets % |',
    '| --- | ---: | --- | ---: | ---: | :---: | ---: | ---: | ---: |',
  );
  const split = splitter(2024);
  const perms = Array.from({ length: SPLITS }, () => split(heldOut.length));
  for (const key of conformalSources) {
    const t = tables.get(key)!;
    const positions = t.truth.map((_, i) => truePosition(t, i));
    for (const method of METHODS) {
      const ladder = ladders(t.score, method);
      const trueScore = ladder.map((l, i) => l[positions[i]!]!);
      for (const alpha of ALPHAS) {
        const coverages: number[] = [];
        const sizes: number[] = [];
        let empty = 0;
        perms.forEach((perm, s) => {
          const cal = perm.slice(0, N_CAL);
          const test = perm.slice(N_CAL);
          const { threshold } = conformalQuantile(
            cal.map((i) => trueScore[i]!),
            alpha,
          );
          if (s === 0) {
            // The fast path above must be what the SDK computes: fitConformal and predictionSet on this split.
            const calScores = {
              rows: N_CAL,
              cols: t.labels.length,
              data: new Float32Array(N_CAL * t.labels.length),
            };
            cal.forEach((i, r) => {
              calScores.data.set(t.score[i]!, r * t.labels.length);
            });
            const fitted = fitConformal(
              calScores,
              cal.map((i) => t.truth[i]!),
              { alpha, method },
            );
            if (fitted.threshold !== threshold)
              throw new Error(`${key} ${method}: q̂ ${fitted.threshold} ≠ ${threshold}`);
            for (const i of test.slice(0, 200)) {
              if (predictionSet(t.score[i]!, fitted).labels.length !== countAtMost(ladder[i]!, threshold)) {
                throw new Error(`${key} ${method}: set size differs from the SDK's for image ${i}`);
              }
            }
          }
          let covered = 0;
          for (const i of test) {
            if (trueScore[i]! <= threshold) covered++;
            const size = countAtMost(ladder[i]!, threshold);
            sizes.push(size);
            if (size === 0) empty++;
          }
          coverages.push(covered / test.length);
        });
        const mean = coverages.reduce((a, b) => a + b, 0) / coverages.length;
        const sd = Math.sqrt(coverages.reduce((a, c) => a + (c - mean) ** 2, 0) / (coverages.length - 1));
        const se = sd / Math.sqrt(coverages.length);
        const ok = mean + 2 * se >= 1 - alpha && mean - 2 * se <= 1 - alpha + 0.03;
        const k = conformalQuantile(new Float64Array(N_CAL), alpha).rank;
        const meanSize = sizes.reduce((a, b) => a + b, 0) / sizes.length;
        const pct = (x: number, digits = 1) => (100 * x).toFixed(digits);
        lines.push(
          `| ${t.name} | ${alpha} | ${method.toUpperCase()} | ${pct(mean, 2)} ± ${pct(se, 2)} [${pct(percentile(coverages, 0.025))}, ${pct(percentile(coverages, 0.975))}] | ${pct(k / (N_CAL + 1), 2)} | ${ok ? 'yes' : '**no**'} | ${meanSize.toFixed(1)} | ${percentile(sizes, 0.5)} | ${((100 * empty) / sizes.length).toFixed(1)} |`,
        );
      }
    }
  }
  // The SDK's calibrate() on the CHiLS subcategory classifier gives the same q̂ as the table's first split.
  const h = hierarchies[0]!;
  const clf = await descry.compile({ labels: Object.keys(h.members), templates: EMOJI_TEMPLATES });
  const subs = await compileSubclasses(clf, h.members, { embedTexts: (texts) => descry.embedTexts(texts) });
  const cal = perms[0]!.slice(0, N_CAL);
  const calImages = {
    rows: N_CAL,
    cols: heldOutImages.cols,
    data: new Float32Array(N_CAL * heldOutImages.cols),
  };
  cal.forEach((i, r) => {
    calImages.data.set(matrixRow(heldOutImages, i), r * heldOutImages.cols);
  });
  const fitted = calibrate(
    subs,
    calImages,
    cal.map((i) => h.truth[i]!),
    { alpha: 0.1, scoring, predictor: { method: 'subclasses', reweight: true, includeLabel: false } },
  );
  const t = tables.get('subcategories/chils')!;
  const lac = ladders(t.score, 'lac');
  const expected = conformalQuantile(
    cal.map((i) => lac[i]![truePosition(t, i)]!),
    0.1,
  ).threshold;
  lines.push(
    '',
    `- The SDK's \`calibrate()\` on the CHiLS subcategory classifier, first split, α = 0.1, LAC: q̂ = ${fitted.threshold.toFixed(4)} (rank ${fitted.rank} of ${fitted.n}), ${fitted.threshold === expected ? "the same as the table's" : `**not** the table's ${expected}`}. Smallest calibration set at α = 0.1: ${calibrationSizeNeeded(0.1)}; at α = 0.05: ${calibrationSizeNeeded(0.05)}.`,
    '',
  );
}

/** AUROC of telling `positive` (to reject) from `negative` by a score where higher means reject; ties count half. */
function auroc(positive: number[], negative: number[]): number {
  const all = [...positive.map((v) => ({ v, p: 1 })), ...negative.map((v) => ({ v, p: 0 }))].sort(
    (a, b) => a.v - b.v,
  );
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.v === all[i]!.v) j++;
    const average = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]!.p) rankSum += average;
    i = j;
  }
  const np = positive.length;
  return (rankSum - (np * (np + 1)) / 2) / (np * negative.length);
}

/** Scores of image i with label y removed from the candidates (softmax over the rest; exact for these methods). */
function withoutLabel(t: ScoreTable, i: number): ClassScoresLike {
  const y = t.truth[i]!;
  const keep = (xs: Float32Array) => Float32Array.from(xs.filter((_, c) => c !== y));
  const logit = keep(t.logit[i]!);
  return { logit, cosine: keep(t.cosine[i]!), score: softmax(logit) };
}

if (wanted('open-set')) {
  if (scoring.activation !== 'softmax') throw new Error('the open-set study renormalises softmax scores');
  const splits = Math.min(SPLITS, 100);
  lines = section('methods-open-set');
  lines.push(
    '**Open set: "none of these"**',
    '',
    'Each image is scored twice: with its true label among the candidates (in-set) and without it (out-of-set: the',
    'same image, its label missing). AUROC of rejecting out-of-set images by a low confidence. Uncalibrated rows: the',
    'threshold rejects 5% of in-set images, chosen on these very images (an oracle, no guarantee). Fitted rows',
    `(\`fitNoneOfThese\`, top cosine): the threshold is fitted on the in-set calibration images of ${splits} random splits`,
    `(${N_CAL} calibration images) and rejects at most α of in-set test images. Conformal rows: LAC calibrated on the`,
    'same splits, abstaining when the set is empty (or larger than 5 labels); their AUROC ranks images by "empty set',
    'first, then larger sets".',
    '',
    '| scores | rule | AUROC | in-set rejected % | out-of-set rejected % |',
    '| --- | --- | ---: | ---: | ---: |',
  );
  const split = splitter(7);
  const perms = Array.from({ length: splits }, () => split(heldOut.length));
  for (const key of conformalSources) {
    const t = tables.get(key)!;
    const inSet = t.score.map((score, i) => ({ score, cosine: t.cosine[i]!, logit: t.logit[i]! }));
    const outSet = t.score.map((_, i) => withoutLabel(t, i));
    const share = (hits: number, total: number) => ((100 * hits) / total).toFixed(1);
    for (const measure of ['score', 'cosine', 'margin'] as const) {
      const cin = inSet.map((s) => confidence(s, measure));
      const cout = outSet.map((s) => confidence(s, measure));
      const threshold = [...cin].sort((a, b) => a - b)[Math.floor(0.05 * cin.length)]!;
      const name = { score: 'top score (max probability)', cosine: 'top cosine', margin: 'top-two margin' }[
        measure
      ];
      const value = auroc(
        cout.map((c) => -c),
        cin.map((c) => -c),
      );
      lines.push(
        `| ${t.name} | uncalibrated: ${name} | ${value.toFixed(3)} | ${share(cin.filter((c) => c < threshold).length, cin.length)} | ${share(cout.filter((c) => c < threshold).length, cout.length)} |`,
      );
    }
    const cosIn = inSet.map((s) => confidence(s, 'cosine'));
    for (const alpha of ALPHAS) {
      let inRejected = 0;
      let outRejected = 0;
      let tested = 0;
      for (const perm of perms) {
        const fitted = fitNoneOfThese(
          perm.slice(0, N_CAL).map((i) => cosIn[i]!),
          alpha,
        );
        for (const i of perm.slice(N_CAL)) {
          if (noneOfThese(inSet[i]!, fitted)) inRejected++;
          if (noneOfThese(outSet[i]!, fitted)) outRejected++;
          tested++;
        }
      }
      lines.push(
        `| ${t.name} | fitted none of these (top cosine), α = ${alpha} |  | ${share(inRejected, tested)} | ${share(outRejected, tested)} |`,
      );
    }
    const ladderIn = ladders(
      inSet.map((s) => s.score),
      'lac',
    );
    const ladderOut = ladders(
      outSet.map((s) => s.score),
      'lac',
    );
    const trueScore = ladderIn.map((l, i) => l[truePosition(t, i)]!);
    for (const alpha of ALPHAS) {
      for (const maxSize of [undefined, 5]) {
        let inRejected = 0;
        let outRejected = 0;
        let tested = 0;
        let aurocSum = 0;
        for (const perm of perms) {
          const { threshold } = conformalQuantile(
            perm.slice(0, N_CAL).map((i) => trueScore[i]!),
            alpha,
          );
          const rejectScore = (ladder: Float64Array) => {
            const size = countAtMost(ladder, threshold);
            return size === 0 ? Number.POSITIVE_INFINITY : size;
          };
          const rejects = (ladder: Float64Array) => {
            const size = countAtMost(ladder, threshold);
            return size === 0 || (maxSize !== undefined && size > maxSize);
          };
          const test = perm.slice(N_CAL);
          for (const i of test) {
            if (rejects(ladderIn[i]!)) inRejected++;
            if (rejects(ladderOut[i]!)) outRejected++;
          }
          tested += test.length;
          if (maxSize === undefined) {
            aurocSum += auroc(
              test.map((i) => rejectScore(ladderOut[i]!)),
              test.map((i) => rejectScore(ladderIn[i]!)),
            );
          }
        }
        lines.push(
          `| ${t.name} | conformal LAC, α = ${alpha}: abstain when empty${maxSize ? ` or > ${maxSize}` : ''} | ${
            maxSize === undefined ? (aurocSum / perms.length).toFixed(3) : ''
          } | ${share(inRejected, tested)} | ${share(outRejected, tested)} |`,
        );
      }
    }
  }
  lines.push('');
}

/** `text` with block `name` replaced by `content`, or with the block appended when it has none. */
function replaceBlock(text: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  const block = `${start}\n${content.trimEnd()}\n${end}`;
  if (from < 0 || to < 0) return `${text.trimEnd()}\n\n${block}\n`;
  return `${text.slice(0, from)}${block}${text.slice(to + end.length)}`;
}

const REPRODUCE = 'Reproduce: `npm run build:data && npm run bench:methods`';
const ran = sections.filter((s) => s.lines.length > 0);
console.log(ran.map((s) => s.lines.join('\n')).join('\n'));
await mkdir(join(cli.out, '..'), { recursive: true });
const previous = await readFile(cli.out, 'utf8')
  .catch(() => '')
  .then((text) => text.replace(`\n${REPRODUCE}\n`, ''));
let written = previous.includes('<!-- methods:start -->') ? previous : '';
for (const s of ran) written = replaceBlock(written, s.block, s.lines.join('\n'));
await writeFile(cli.out, `${written.trim()}\n\n${REPRODUCE}\n`);
if (cli.readme) {
  for (const s of ran) {
    console.log(`rewrote the ${s.block} block of ${writeMarkedBlock(ROOT, s.block, s.lines.join('\n'))}`);
  }
}
