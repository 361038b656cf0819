/**
 * The `descry` command (Node): classify files, folders or globs of images into JSON Lines,
 * compile classifiers (with descriptors or subclasses), calibrate them for prediction sets,
 * generate descriptors, and precompute FuDD pair descriptions (all pairs,
 * or the pairs a sample of images actually confuses).
 *
 *   descry classify --labels "cat,dog" photos/ > results.jsonl
 *   descry classify --labels-file labels.txt "shots/*.jpg" --method tfup --adapt-on unlabelled/
 *   descry compile --labels-file labels.txt --out animals.descry
 *   descry compile --labels "food fruit,animal bird" --subclasses emoji:subcategories --out f.descry
 *   descry calibrate calibration/ --classifier f.descry --method subclasses --alpha 0.1 --out f.descry
 *   descry classify --classifier f.descry --method subclasses --max-set-size 3 photos/
 *   descry precompute-pairs --labels-file labels.txt --llm-url http://127.0.0.1:11434/v1 \
 *       --llm-model llama3 --confused-on ./sample-images
 *
 * Exit codes: 0 done; 1 failed or called wrongly; 2 done in part (some images or labels failed,
 * each reported: an error line per image, a message per label).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { describeClasses } from '../llm/describe-classes.js';
import { describeSubclasses } from '../llm/describe-subclasses.js';
import { DescriptorCache, PairDescriptionCache, SubclassCache } from '../llm/description-cache.js';
import { allPairs, precomputePairs } from '../llm/precompute.js';
import { METHOD_NAMES, METHODS } from '../methods/table.js';
import { Descry, isDescryError } from '../node.js';
import { FileStore } from '../store/file.node.js';
import type { DescriptorMap } from '../types.js';
import { type CalibrateCommandOptions, calibrateCommand } from './calibrate.js';
import { type ClassifyCommandOptions, classifyCommand } from './classify.js';
import { CliError, EXIT } from './cli-error.js';
import { imagePaths } from './image-paths.js';
import { type LabelOptions, requireLabels } from './labels.js';
import { allFailedReason, type LlmOptions, llmSource, withLlmOptions } from './llm-options.js';
import { startProgress } from './progress.js';
import { readSubclasses, SUBCLASSES_HELP } from './subclasses-option.js';

const DEFAULT_MODEL = new URL('../../models/emoji-clip', import.meta.url).pathname;

/** The options of `descry describe`, as commander parses them. */
type DescribeOptions = LlmOptions &
  LabelOptions & { out: string; cache: string; context?: string; generate: 'descriptors' | 'subclasses' };

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

const withLabelOptions = (command: Command) =>
  command
    .option('--labels <list>', 'comma-separated labels, e.g. "cat,dog,pizza"')
    .option('--labels-file <file>', 'a file with one label per line');

const program = new Command('descry')
  .description('Zero-shot image classification with CLIP-style models')
  .option('--model <source>', 'model folder, URL or hub id', DEFAULT_MODEL)
  .showHelpAfterError();

const loadModel = () => Descry.load(program.opts().model);

withLlmOptions(
  withLabelOptions(
    program
      .command('classify')
      .description(
        'classify images into JSON Lines (one line per image: key, predictions or error); ' +
          'exit 0 all classified, 2 some images failed, 1 error',
      )
      .argument('<inputs...>', 'image files, folders (searched recursively) or quoted globs'),
  )
    .option('--classifier <file>', 'a compiled classifier (no text encoding at all)')
    .option('--template <t...>', 'prompt templates with {} for the label')
    .addOption(
      new Option(
        '--method <m>',
        `classification method: ${METHOD_NAMES.map((name) => `${name} (${METHODS[name].summary})`).join('; ')}`,
      )
        .choices(METHOD_NAMES)
        .default('zeroshot'),
    )
    .option('--descriptors <file.json>', 'descriptors per label (method descriptions)')
    .option('--subclasses <file.json|emoji:subcategories|emoji:groups>', SUBCLASSES_HELP)
    .option(
      '--max-set-size <n>',
      'with a --classifier calibrated for the method (descry calibrate): abstain when its prediction set holds more labels',
    )
    .option('--cache <dir>', 'FuDD pair-description cache folder', '.descry-cache')
    .option('--adapt-on <folder|glob>', 'unlabelled images for TFUP (repeatable)', collect)
    .option('--tfup-cache <file>', 'TFUP cache file: read, and written when --adapt-on grows it')
    .option('--top-k <n>', 'predictions per image', '5')
    .option('--batch-size <n>', 'images read and embedded per step', '16')
    .option('--out <file.jsonl>', 'write the lines here instead of stdout'),
).action(async (inputs: string[], options: ClassifyCommandOptions) => {
  process.exitCode = await classifyCommand(inputs, options, loadModel);
});

withLabelOptions(
  program
    .command('compile')
    .description('compile labels (and descriptors, subclasses) into a classifier file'),
)
  .requiredOption('--out <file>', 'where to write the classifier')
  .option('--template <t...>', 'prompt templates with {} for the label')
  .option('--descriptors <file.json>', 'descriptors per label')
  .option('--subclasses <file.json|emoji:subcategories|emoji:groups>', SUBCLASSES_HELP)
  .addOption(new Option('--dtype <t>', 'stored precision').choices(['float16', 'float32']).default('float16'))
  .action(async (options) => {
    const labels = await requireLabels(options);
    const descry = await loadModel();
    const classifier = await descry.compile({
      labels,
      ...(options.template ? { templates: options.template } : {}),
      ...(options.descriptors
        ? { descriptors: JSON.parse(await readFile(options.descriptors, 'utf8')) as DescriptorMap }
        : {}),
      ...(options.subclasses ? { subclasses: await readSubclasses(options.subclasses, labels) } : {}),
    });
    const bytes = classifier.toBytes(options.dtype);
    await writeFile(options.out, bytes);
    console.log(
      `${options.out}: ${classifier.labels.length} labels, ${bytes.byteLength} bytes, model ${descry.info.id}`,
    );
  });

withLlmOptions(
  withLabelOptions(
    program
      .command('describe')
      .description(
        'generate visual descriptors (Menon & Vondrick) or subclasses (CHiLS) per label with an LLM; ' +
          'exit 0 all described, 2 some labels failed, 1 none described',
      ),
  )
    .requiredOption('--out <file.json>', 'where to write { label: [descriptors or subclasses] }')
    .addOption(
      new Option('--generate <kind>', 'what to generate: descriptors, or subclasses for --method subclasses')
        .choices(['descriptors', 'subclasses'])
        .default('descriptors'),
    )
    .option('--cache <dir>', 'descriptor and subclass cache folder', '.descry-cache')
    .option('--context <text>', 'what kind of things the labels are, e.g. "bird species"'),
).action(async (options: DescribeOptions) => {
  const labels = await requireLabels(options);
  const source = await llmSource(options);
  const context = options.context ? { context: options.context } : {};
  const result =
    options.generate === 'subclasses'
      ? await describeSubclasses(source, labels, {
          cache: new SubclassCache(new FileStore(options.cache), source.id),
          ...context,
        }).then(({ subclasses, ...rest }) => {
          // A name two labels both got tells neither apart: dropped (describe-subclasses.ts), and said.
          for (const d of rest.dropped) {
            console.error(`  dropped "${d.subclass}": named for ${d.labels.join(', ')}`);
          }
          return { ...rest, descriptors: subclasses };
        })
      : await describeClasses(source, labels, {
          cache: new DescriptorCache(new FileStore(options.cache), source.id),
          ...context,
        });
  if (result.failed.length === labels.length) {
    throw new CliError(
      `no label described: ${allFailedReason(
        result.failed.map((f) => f.error),
        options,
      )}`,
    );
  }
  await writeFile(options.out, JSON.stringify(result.descriptors, null, 2));
  console.log(`${Object.keys(result.descriptors).length} described, ${result.failed.length} failed`);
  for (const f of result.failed) console.error(`  ${f.label}: ${f.error.code}: ${f.error.message}`);
  process.exitCode = result.failed.length > 0 ? EXIT.partial : EXIT.ok;
});

withLlmOptions(
  withLabelOptions(
    program
      .command('precompute-pairs')
      .description('generate and cache FuDD pair descriptions; exit 0 all cached, 2 some failed, 1 none'),
  )
    .option('--cache <dir>', 'pair cache folder', '.descry-cache')
    .option('--confused-on <folder|glob>', 'only the pairs FuDD would ask about for these sample images')
    .option('--k <n>', 'ambiguous-set size for --confused-on', '10')
    .option('--concurrency <n>', 'LLM calls in flight', '4'),
).action(
  async (
    options: LlmOptions &
      LabelOptions & { cache: string; confusedOn?: string; k: string; concurrency: string },
  ) => {
    const labels = await requireLabels(options);
    const source = await llmSource(options);
    let pairs: Array<[string, string]> = allPairs(labels);
    if (options.confusedOn) {
      const files = await imagePaths([options.confusedOn]);
      const descry = await loadModel();
      const classifier = await descry.compile({ labels });
      const images = await descry.embedImages(
        await Promise.all(files.map(async (f) => new Uint8Array(await readFile(f)))),
      );
      pairs = await descry.confusedPairs(images, classifier, Number(options.k));
      console.error(
        `${files.length} sample images confuse ${pairs.length} of ${allPairs(labels).length} pairs`,
      );
    }
    const progress = startProgress(pairs.length, 'pairs {bar} {value}/{total} | {status}');
    const report = await precomputePairs(
      source,
      new PairDescriptionCache(new FileStore(options.cache), source.id),
      labels,
      {
        pairs,
        concurrency: Number(options.concurrency),
        onProgress: (p) => progress.update(p.done, `${p.status} ${p.pair.join(' / ')}`),
      },
    );
    progress.stop();
    if (report.total > 0 && report.failed.length === report.total) {
      throw new CliError(
        `no pair described: ${allFailedReason(
          report.failed.map((f) => f.error),
          options,
        )}`,
      );
    }
    console.log(
      `${report.generated} generated, ${report.cached} already cached, ${report.failed.length} failed`,
    );
    for (const f of report.failed.slice(0, 10)) console.error(`  ${f.pair.join(' / ')}: ${f.error.message}`);
    process.exitCode = report.failed.length > 0 ? EXIT.partial : EXIT.ok;
  },
);

program
  .command('calibrate')
  .description(
    'fit a conformal calibration on labelled images (one folder per label) and write the calibrated classifier: its classifications carry prediction sets with coverage ≥ 1 − α',
  )
  .argument('<folder>', 'labelled images: a subfolder per label, named as the label')
  .requiredOption('--classifier <file>', 'the compiled classifier to calibrate (descry compile)')
  .requiredOption('--out <file>', 'where to write the calibrated classifier')
  .option('--alpha <a>', 'miscoverage: sets miss the true label at most this often', '0.1')
  .addOption(
    new Option('--method <m>', 'the method whose scores are calibrated; classify with the same')
      .choices(['zeroshot', 'descriptions', 'subclasses'])
      .default('zeroshot'),
  )
  .addOption(
    new Option('--score <s>', 'nonconformity score (LAC: smallest sets; APS/RAPS: adaptive sets)')
      .choices(['lac', 'aps', 'raps'])
      .default('lac'),
  )
  .addOption(
    new Option(
      '--none-of-these <measure>',
      'also fit a "none of these" threshold on this confidence (rejects at most α of in-set images)',
    ).choices(['score', 'cosine', 'margin']),
  )
  .option('--batch-size <n>', 'images per vision-tower run', '16')
  .action(async (folder: string, options: CalibrateCommandOptions) => {
    process.exitCode = await calibrateCommand(folder, options, loadModel);
  });

program.parseAsync().catch((error: unknown) => {
  const message =
    error instanceof CliError
      ? error.message
      : isDescryError(error)
        ? `${error.code}: ${error.message}`
        : String(error instanceof Error ? (error.stack ?? error.message) : error);
  console.error(`descry: ${message}`);
  process.exitCode = EXIT.failed;
});
