#!/usr/bin/env node
/**
 * The `descry` command (Node): compile classifiers, classify images, generate descriptors, and
 * precompute FuDD pair descriptions (all pairs, or the pairs a sample of images actually confuses).
 *
 *   npm run descry -- classify --labels "cat,dog" image.png
 *   npm run descry -- compile --labels labels.txt --out animals.descry
 *   npm run descry -- precompute-pairs --labels labels.txt --cache .descry-cache \
 *       --llm-url http://127.0.0.1:11434/v1 --llm-model llama3 --confused-on ./sample-images
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { describeClasses } from '../llm/describe-classes.js';
import { DescriptorCache, PairDescriptionCache } from '../llm/description-cache.js';
import type { DescriptionSource } from '../llm/description-source.js';
import { openAICompatibleSource } from '../llm/openai-compatible.js';
import { allPairs, precomputePairs } from '../llm/precompute.js';
import { staticSource } from '../llm/static.js';
import { Descry, isDescryError } from '../node.js';
import { FileStore } from '../store/file.js';
import type { ClassificationMethod, DescriptorMap } from '../types.js';

const DEFAULT_MODEL = new URL('../../models/emoji-clip', import.meta.url).pathname;

/** Labels from a comma-separated list or a file with one label per line. */
async function readLabels(spec: string): Promise<string[]> {
  const isFile = await stat(spec)
    .then((s) => s.isFile())
    .catch(() => false);
  const raw = isFile ? (await readFile(spec, 'utf8')).split('\n') : spec.split(',');
  return raw.map((l) => l.trim()).filter(Boolean);
}

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8'));
}

async function imagesIn(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter((n) => /\.(png|jpe?g|webp)$/i.test(n)).map((n) => join(dir, n));
}

function llmSource(options: { llmUrl?: string; llmModel?: string; llmKeyEnv: string; staticJson?: string }) {
  return async (): Promise<DescriptionSource> => {
    if (options.staticJson) return staticSource(await readJson(options.staticJson));
    if (!options.llmUrl || !options.llmModel) {
      throw new Error(
        'give --llm-url and --llm-model (an OpenAI-compatible endpoint) or --static <file.json>',
      );
    }
    const apiKey = process.env[options.llmKeyEnv];
    return openAICompatibleSource({
      baseURL: options.llmUrl,
      model: options.llmModel,
      ...(apiKey ? { apiKey } : {}),
    });
  };
}

const llmOptions = (command: Command) =>
  command
    .option('--llm-url <url>', 'OpenAI-compatible base URL, e.g. http://127.0.0.1:11434/v1')
    .option('--llm-model <name>', 'model name at that endpoint')
    .option('--llm-key-env <var>', 'environment variable holding the API key', 'DESCRY_LLM_API_KEY')
    .option('--static <file>', 'read descriptions from JSON instead of an LLM');

const program = new Command('descry').description('Zero-shot image classification with CLIP-style models');
program.option('--model <source>', 'model folder, URL or hub id', DEFAULT_MODEL);

program
  .command('classify')
  .description('classify images against labels or a compiled classifier')
  .argument('<images...>', 'image files (PNG, JPEG, WebP)')
  .option('--labels <list|file>', 'comma-separated labels, or a file with one per line')
  .option('--classifier <file>', 'a compiled classifier (no text encoding at all)')
  .option('--template <t...>', 'prompt templates with {} for the label')
  .option('--descriptors <file.json>', 'descriptors per label, for --method descriptions')
  .addOption(new Option('--method <m>', 'method').choices(['zeroshot', 'descriptions']).default('zeroshot'))
  .option('--top-k <n>', 'predictions per image', '5')
  .action(async (files: string[], options) => {
    const descry = await Descry.load(program.opts().model);
    const target = options.classifier
      ? descry.loadClassifier(new Uint8Array(await readFile(options.classifier)))
      : await readLabels(options.labels ?? '');
    const results = await descry.classify(
      await Promise.all(files.map(async (f) => new Uint8Array(await readFile(f)))),
      target,
      {
        method: options.method as ClassificationMethod,
        topK: Number(options.topK),
        ...(options.template ? { templates: options.template } : {}),
        ...(options.descriptors
          ? { descriptors: (await readJson(options.descriptors)) as DescriptorMap }
          : {}),
      },
    );
    console.log(
      JSON.stringify(
        results.map((r, i) => ({ image: files[i], ...r })),
        null,
        2,
      ),
    );
  });

program
  .command('compile')
  .description('compile labels (and descriptors) into a classifier file')
  .requiredOption('--labels <list|file>', 'comma-separated labels, or a file with one per line')
  .requiredOption('--out <file>', 'where to write the classifier')
  .option('--template <t...>', 'prompt templates with {} for the label')
  .option('--descriptors <file.json>', 'descriptors per label')
  .addOption(new Option('--dtype <t>', 'stored precision').choices(['float16', 'float32']).default('float16'))
  .action(async (options) => {
    const descry = await Descry.load(program.opts().model);
    const classifier = await descry.compile({
      labels: await readLabels(options.labels),
      ...(options.template ? { templates: options.template } : {}),
      ...(options.descriptors ? { descriptors: (await readJson(options.descriptors)) as DescriptorMap } : {}),
    });
    const bytes = classifier.toBytes(options.dtype);
    await writeFile(options.out, bytes);
    console.log(
      `${options.out}: ${classifier.labels.length} labels, ${bytes.byteLength} bytes, model ${descry.info.id}`,
    );
  });

llmOptions(
  program
    .command('describe')
    .description('generate visual descriptors per label with an LLM (Menon & Vondrick)')
    .requiredOption('--labels <list|file>', 'labels')
    .requiredOption('--out <file.json>', 'where to write { label: [descriptors] }')
    .option('--cache <dir>', 'descriptor cache folder', '.descry-cache')
    .option('--context <text>', 'what kind of things the labels are, e.g. "bird species"'),
).action(async (options) => {
  const source = await llmSource(options)();
  const labels = await readLabels(options.labels);
  const result = await describeClasses(source, labels, {
    cache: new DescriptorCache(new FileStore(options.cache), source.id),
    ...(options.context ? { context: options.context } : {}),
  });
  await writeFile(options.out, JSON.stringify(result.descriptors, null, 2));
  console.log(`${Object.keys(result.descriptors).length} described, ${result.failed.length} failed`);
  for (const f of result.failed) console.error(`  ${f.label}: ${f.error.message}`);
});

llmOptions(
  program
    .command('precompute-pairs')
    .description('generate and cache FuDD pair descriptions for a label set')
    .requiredOption('--labels <list|file>', 'labels')
    .option('--cache <dir>', 'pair cache folder', '.descry-cache')
    .option('--confused-on <dir>', 'only the pairs FuDD would ask about for these sample images')
    .option('--k <n>', 'ambiguous-set size for --confused-on', '10')
    .option('--concurrency <n>', 'LLM calls in flight', '4'),
).action(async (options) => {
  const source = await llmSource(options)();
  const labels = await readLabels(options.labels);
  let pairs: Array<[string, string]> = allPairs(labels);
  if (options.confusedOn) {
    const descry = await Descry.load(program.opts().model);
    const classifier = await descry.compile({ labels });
    const files = await imagesIn(options.confusedOn);
    const images = await descry.embedImages(
      await Promise.all(files.map(async (f) => new Uint8Array(await readFile(f)))),
    );
    pairs = await descry.confusedPairs(images, classifier, Number(options.k));
    console.log(`${files.length} sample images confuse ${pairs.length} of ${allPairs(labels).length} pairs`);
  }
  const bar = new SingleBar({ format: 'pairs {bar} {value}/{total} | {status}' });
  bar.start(pairs.length, 0, { status: '' });
  const report = await precomputePairs(
    source,
    new PairDescriptionCache(new FileStore(options.cache), source.id),
    labels,
    {
      pairs,
      concurrency: Number(options.concurrency),
      onProgress: (p) => bar.update(p.done, { status: `${p.status} ${p.pair.join(' / ')}` }),
    },
  );
  bar.stop();
  console.log(
    `${report.generated} generated, ${report.cached} already cached, ${report.failed.length} failed`,
  );
  for (const f of report.failed.slice(0, 10)) console.error(`  ${f.pair.join(' / ')}: ${f.error.message}`);
  if (report.failed.length > 0) process.exitCode = 1;
});

program.parseAsync().catch((error: unknown) => {
  console.error(
    isDescryError(error) ? `descry: ${error.code}: ${error.message}` : `descry: ${String(error)}`,
  );
  process.exitCode = 1;
});
