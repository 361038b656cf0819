/**
 * bench:real: Descry against raw onnxruntime and the transformers.js pipeline on a model with
 * openai/clip-vit-base-patch32's architecture, on onnxruntime-node and onnxruntime-web, in one run.
 * Each contender runs in its own process, one after another (never interleaved: ORT's threads of
 * one must not run while another is timed); `--rounds` repeats the sequence and keeps each
 * measurement's best round. Cold start and peak RSS are measured on fresh processes. Writes
 * bench/results/real.md; `--readme` also rewrites the docs' `real` block (docs/benchmarks.md).
 *
 *   npm run bench:real [-- --rounds 2 --cold-runs 3 --only descry-node,cold --readme]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { ortNodeSessionOptions } from 'descry';
import { build, type Plugin } from 'esbuild';
import { entrySources } from '../../entry-points.js';
import { writeMarkedBlock } from '../../scripts/doc-blocks.mjs';
import { ensureAssets, images, paths } from './assets.js';
import { type Measurement, RESULT_MARKER } from './plan.js';
import { best, type ColdStart, headline, markdown } from './report.js';

const cli = new Command()
  .option('--rounds <n>', 'repeat every block this many times; the best round counts', '2')
  .option('--cold-runs <n>', 'fresh processes per cold-start mode (median)', '3')
  .option(
    '--only <blocks>',
    'comma-separated: raw-node, descry-node, transformers.js, transformers.js-4-node, raw-web, descry-web, transformers.js-4-web, cold',
  )
  .option('--readme', "also rewrite the docs' real block")
  .option(
    '--report-only',
    'measure nothing: rewrite the report from the last run (bench/.build/real-run.json)',
  )
  .parse()
  .opts<{ rounds: string; coldRuns: string; only?: string; readme?: boolean; reportOnly?: boolean }>();

const only = cli.only ? new Set(cli.only.split(',')) : undefined;
const wanted = (name: string) => !only || only.has(name);
const tsx = ['--import', 'tsx'];

ensureAssets();

const blocks = [
  ['raw', 'node'],
  ['descry', 'node'],
  ['transformers.js', 'node'],
  ['transformers.js-4', 'node'],
  ['raw', 'web'],
  ['descry', 'web'],
  ['transformers.js-4', 'web'],
] as const;

function runBlock(contender: string, backend: string): Measurement[] {
  const started = performance.now();
  const child = spawnSync(
    process.execPath,
    [...tsx, join(paths.root, 'bench', 'real', 'block.ts'), contender, backend],
    {
      cwd: paths.root,
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
    },
  );
  if (child.error) throw new Error(`${contender} on ${backend} did not start: ${child.error.message}`);
  const line = child.stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (child.status !== 0 || !line) {
    throw new Error(
      `${contender} on ${backend} failed (exit ${child.status}):\n${child.stdout}\n${child.stderr}`,
    );
  }
  console.log(`  ${contender} on ${backend}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return JSON.parse(line.slice(RESULT_MARKER.length)) as Measurement[];
}

/** Everything measured so far, saved after each block: a run cut short keeps what it measured. */
const runFile = join(paths.build, 'real-run.json');
interface Run {
  measurements: Measurement[];
  cold: ColdStart[];
  rounds: number;
}
const run: Run = cli.reportOnly
  ? (JSON.parse(readFileSync(runFile, 'utf8')) as Run)
  : { measurements: [], cold: [], rounds: Number(cli.rounds) };
const save = () => {
  mkdirSync(paths.build, { recursive: true });
  writeFileSync(runFile, JSON.stringify(run));
};

const rounds = cli.reportOnly ? 0 : run.rounds;
for (let round = 1; round <= rounds; round++) {
  console.log(`round ${round} of ${rounds}`);
  for (const [contender, backend] of blocks) {
    const name = contender === 'transformers.js' ? contender : `${contender}-${backend}`;
    if (!wanted(name)) continue;
    run.measurements.push(...runBlock(contender, backend));
    save();
  }
}

/** Cold-start modes per model: [mode, label]. */
const coldModes = {
  vit: [
    ['raw-node', 'raw onnxruntime-node: session from the file, run on a ready tensor'],
    ['descry-node', 'Descry, onnxruntime-node, compiled classifier'],
    ['descry-node-bytes', 'Descry, onnxruntime-node, model bytes read into memory (before: no paths)'],
    ['descry-node-labels', 'Descry, onnxruntime-node, 100 plain labels (text model too)'],
    ['descry-web', 'Descry, onnxruntime-web, compiled classifier'],
    ['transformers.js', 'transformers.js 2.17 pipeline, 100 labels'],
    ['transformers.js-4', 'transformers.js 4.x pipeline, onnxruntime-node, 100 labels'],
    ['transformers.js-4-web', 'transformers.js 4.x pipeline, onnxruntime-web, 100 labels'],
  ],
  edge: [
    ['raw-node', 'raw onnxruntime-node: session from the file, run on a ready tensor'],
    ['descry-node', 'Descry, onnxruntime-node, compiled classifier'],
    ['descry-web', 'Descry, onnxruntime-web, compiled classifier'],
    ['transformers.js-4', 'transformers.js 4.x encoders, onnxruntime-node, 100 labels encoded first'],
    ['transformers.js-4-web', 'transformers.js 4.x encoders, onnxruntime-web, 100 labels encoded first'],
  ],
} as const;

/** Bundles `descry` from its Node sources, as the built package would ship it; other packages stay external. */
const descrySources: Plugin = {
  name: 'descry-sources',
  setup(b) {
    const sources = entrySources('node');
    b.onResolve({ filter: /^descry(\/|$)/ }, (args) => {
      const source = sources[args.path];
      return source ? { path: join(paths.root, source) } : undefined;
    });
  },
};

async function coldStarts(): Promise<ColdStart[]> {
  mkdirSync(paths.build, { recursive: true });
  await build({
    entryPoints: [join(paths.root, 'bench', 'real', 'cold-start.ts')],
    outdir: paths.build,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    packages: 'external',
    plugins: [descrySources],
    logLevel: 'warning',
  });
  const runs = Number(cli.coldRuns);
  const options = JSON.stringify(ortNodeSessionOptions());
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const out: ColdStart[] = [];
  for (const model of ['vit', 'edge'] as const) {
    const folder = model === 'vit' ? paths.model : paths.edgeModel;
    const classifier = join(paths.build, `labels-100.${model}.descry`);
    const coldStart = (mode: string) =>
      execFileSync(
        process.execPath,
        [join(paths.build, 'cold-start.mjs'), mode, folder, images.jpeg, classifier, options],
        { cwd: paths.root, encoding: 'utf8', maxBuffer: 16 * 2 ** 20 },
      );
    coldStart('write-classifier');
    for (const [mode, label] of coldModes[model]) {
      const samples: Array<{ firstResultMs: number; peakRssMiB: number }> = [];
      for (let i = 0; i < runs; i++) {
        const stdout = coldStart(mode);
        samples.push(JSON.parse(stdout.trim().split('\n').at(-1)!));
      }
      const entry = {
        model,
        mode,
        label,
        runs,
        firstResultMs: median(samples.map((s) => s.firstResultMs)),
        peakRssMiB: median(samples.map((s) => s.peakRssMiB)),
      };
      console.log(
        `  cold ${model} ${mode}: ${(entry.firstResultMs / 1000).toFixed(2)} s, ${entry.peakRssMiB.toFixed(0)} MiB`,
      );
      out.push(entry);
    }
  }
  return out;
}

if (!cli.reportOnly && wanted('cold')) {
  run.cold = await coldStarts();
  save();
}
const cold = run.cold;
const results = best(run.measurements);
const report = markdown({
  results,
  cold,
  rounds: run.rounds,
  node: `Node ${process.version}`,
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}`,
});

console.log('');
for (const [what, measured, target] of headline(results))
  console.log(`${measured.padStart(9)}  (${target})  ${what}`);
const vitCold = (mode: string) => cold.find((c) => (c.model ?? 'vit') === 'vit' && c.mode === mode);
const coldDescry = vitCold('descry-node');
const coldPipeline = vitCold('transformers.js-4') ?? vitCold('transformers.js');
if (coldDescry) {
  console.log(
    `${(coldDescry.firstResultMs / 1000).toFixed(2).padStart(7)} s  (≤ 0.9 s)  cold start to first result, Descry node` +
      (coldPipeline ? ` (${coldPipeline.label}: ${(coldPipeline.firstResultMs / 1000).toFixed(2)} s)` : ''),
  );
  console.log(
    `${coldDescry.peakRssMiB.toFixed(0).padStart(5)} MiB  (≤ 800 MiB)  peak RSS, Descry node` +
      (coldPipeline ? ` (${coldPipeline.label}: ${coldPipeline.peakRssMiB.toFixed(0)} MiB)` : ''),
  );
}

const document = `${report}\nReproduce: \`npm run bench:real\` (generates the model and images on first use with \`npm run bench:models\`).\n`;
mkdirSync(join(paths.results, '..'), { recursive: true });
writeFileSync(paths.results, document);
console.log(`\nwrote ${paths.results}`);
if (cli.readme) console.log(`rewrote the real block of ${writeMarkedBlock(paths.root, 'real', document)}`);
