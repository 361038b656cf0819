/**
 * `descry classify`: files, folders or globs of images to JSON Lines, one result line per image
 * (the format of sdk/batch/result-line.ts, which the service's batch jobs write too), with a
 * progress bar on stderr and a summary at the end. A bad image is an error line, not a failed run.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { classifyBatch, embedImagesSettled, type KeyedImage } from '../batch/classify-batch.js';
import { errorLine, formatResultLines, type ResultLine, tallyResultLines } from '../batch/result-line.js';
import type { CompiledClassifier } from '../classifier/compiled.js';
import type { ClassifyOptions, Descry } from '../descry.js';
import { PairDescriptionCache } from '../llm/description-cache.js';
import type { TfupCache } from '../predictors/tfup.js';
import { decodeTfupCache, encodeTfupCache } from '../predictors/tfup-codec.js';
import { FileStore } from '../store/file.node.js';
import type { ClassificationMethod, DescriptorMap } from '../types.js';
import { CliError, EXIT } from './cli-error.js';
import { imagePaths } from './image-paths.js';
import { readLabels } from './labels.js';
import { hasLlmSource, type LlmOptions, llmSource } from './llm-options.js';
import { startProgress } from './progress.js';
import { readSubclasses } from './subclasses-option.js';

/** The options of `descry classify`, as commander parses them. */
export interface ClassifyCommandOptions extends LlmOptions {
  labels?: string;
  labelsFile?: string;
  classifier?: string;
  template?: string[];
  method: ClassificationMethod;
  descriptors?: string;
  subclasses?: string;
  maxSetSize?: string;
  cache: string;
  adaptOn?: string[];
  tfupCache?: string;
  topK: string;
  batchSize: string;
  out?: string;
}

function positiveInteger(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new CliError(`${option} must be a positive integer, not "${value}"`);
  return n;
}

async function readJsonFile(path: string, option: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new CliError(`${option} ${path}: ${(error as Error).message}`);
  }
}

/** Bytes of each path; an unreadable file becomes its error line instead. */
async function readImages(
  paths: readonly string[],
): Promise<{ items: KeyedImage[]; unreadable: ResultLine[] }> {
  const items: KeyedImage[] = [];
  const unreadable: ResultLine[] = [];
  await Promise.all(
    paths.map(async (key) => {
      try {
        items.push({ key, image: new Uint8Array(await readFile(key)) });
      } catch (error) {
        unreadable.push(
          errorLine(key, {
            code: 'image_fetch_failed',
            message: `cannot read ${key}: ${(error as Error).message}`,
          }),
        );
      }
    }),
  );
  return { items, unreadable };
}

/** Check the method has what it needs before the model loads: a mistake costs no time. */
function checkMethodInputs(options: ClassifyCommandOptions): void {
  const { method } = options;
  if (method === 'descriptions' && !options.descriptors && !options.classifier) {
    throw new CliError(
      '--method descriptions needs --descriptors <file.json> (or a --classifier compiled with them)',
    );
  }
  if (method === 'subclasses' && !options.subclasses && !options.classifier) {
    throw new CliError(
      '--method subclasses needs --subclasses <file.json|emoji:subcategories|emoji:groups> (or a --classifier compiled with them)',
    );
  }
  if (options.subclasses && options.classifier) {
    throw new CliError(
      '--subclasses are compiled into a classifier: give them to descry compile, or use --labels',
    );
  }
  if (options.maxSetSize !== undefined && !options.classifier) {
    throw new CliError(
      '--max-set-size needs a --classifier calibrated for the method (descry calibrate): sets come from its calibration',
    );
  }
  if (method === 'fudd' && !hasLlmSource(options)) {
    throw new CliError('--method fudd needs --llm-url and --llm-model, or --static <file.json>');
  }
  if (method === 'tfup' && !options.adaptOn && !options.tfupCache) {
    throw new CliError(
      '--method tfup needs --adapt-on <folder|glob> (unlabelled images) or --tfup-cache <file>',
    );
  }
  if (method !== 'tfup' && (options.adaptOn || options.tfupCache)) {
    throw new CliError('--adapt-on and --tfup-cache are for --method tfup');
  }
}

/**
 * The TFUP cache: read from --tfup-cache, grown with --adapt-on images (written back to
 * --tfup-cache when given). Images that cannot be decoded are skipped with a warning.
 */
async function tfupCache(
  descry: Descry,
  classifier: CompiledClassifier,
  options: ClassifyCommandOptions,
): Promise<TfupCache> {
  let cache: TfupCache | undefined;
  if (options.tfupCache) {
    const bytes = await readFile(options.tfupCache).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' && options.adaptOn) return undefined; // created below
      throw new CliError(`--tfup-cache ${options.tfupCache}: ${error.message}`);
    });
    if (bytes) cache = decodeTfupCache(new Uint8Array(bytes));
  }
  if (options.adaptOn) {
    const paths = await imagePaths(options.adaptOn);
    const { items } = await readImages(paths);
    const settled = await embedImagesSettled(
      descry,
      items.map((item) => item.image),
      { batchSize: 16 },
    );
    for (const [index, error] of settled.failures) {
      console.error(`descry: --adapt-on skips ${items[index]!.key}: ${error.code}`);
    }
    if (settled.indices.length === 0) throw new CliError('--adapt-on: no image could be decoded');
    cache = await descry.adapt(classifier, settled.embeddings, cache ? { cache } : {});
    if (options.tfupCache) await writeFile(options.tfupCache, encodeTfupCache(cache));
    console.error(`descry: TFUP cache of ${cache.pool.rows} images`);
  }
  return cache!;
}

/** The classify options of the chosen method. */
async function methodOptions(
  descry: Descry,
  classifier: CompiledClassifier,
  options: ClassifyCommandOptions,
): Promise<ClassifyOptions> {
  switch (options.method) {
    case 'fudd': {
      const source = await llmSource(options);
      return { fudd: { source, cache: new PairDescriptionCache(new FileStore(options.cache), source.id) } };
    }
    case 'tfup':
      return { tfup: { cache: await tfupCache(descry, classifier, options) } };
    default:
      return {};
  }
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/** Run `descry classify`; resolves to the exit code. */
export async function classifyCommand(
  inputs: string[],
  options: ClassifyCommandOptions,
  loadModel: () => Promise<Descry>,
): Promise<number> {
  const started = performance.now();
  checkMethodInputs(options);
  const topK = positiveInteger(options.topK, '--top-k');
  const batchSize = positiveInteger(options.batchSize, '--batch-size');
  const labels = await readLabels(options);
  if ((labels === undefined) === (options.classifier === undefined)) {
    throw new CliError('give --labels, --labels-file or --classifier (one of them)');
  }
  const classifierBytes = options.classifier
    ? await readFile(options.classifier).catch((error: Error) => {
        throw new CliError(`--classifier ${options.classifier}: ${error.message}`);
      })
    : undefined;
  const descriptors = options.descriptors
    ? ((await readJsonFile(options.descriptors, '--descriptors')) as DescriptorMap)
    : undefined;
  const subclasses = options.subclasses ? await readSubclasses(options.subclasses, labels) : undefined;
  const maxSetSize =
    options.maxSetSize === undefined ? undefined : positiveInteger(options.maxSetSize, '--max-set-size');
  const paths = await imagePaths(inputs);

  const descry = await loadModel();
  const classifier = classifierBytes
    ? descry.loadClassifier(new Uint8Array(classifierBytes))
    : await descry.compile({
        labels: labels!,
        ...(options.template ? { templates: options.template } : {}),
        ...(descriptors ? { descriptors } : {}),
        ...(subclasses ? { subclasses } : {}),
      });
  const extra = await methodOptions(descry, classifier, options);

  const out: Writable = options.out ? createWriteStream(options.out) : process.stdout;
  const progress = startProgress(
    paths.length,
    'classify {bar} {value}/{total} images | {eta_formatted} left',
  );
  const lines: ResultLine[] = [];
  try {
    for (let start = 0; start < paths.length; start += batchSize) {
      const { items, unreadable } = await readImages(paths.slice(start, start + batchSize));
      const classified = await classifyBatch(descry, items, classifier, {
        method: options.method,
        topK,
        batchSize,
        ...(maxSetSize === undefined ? {} : { maxSetSize }),
        ...extra,
      });
      // Input order, whatever order the reads finished in.
      const byKey = new Map([...classified, ...unreadable].map((line) => [line.key, line]));
      const ordered = paths.slice(start, start + batchSize).map((key) => byKey.get(key)!);
      lines.push(...ordered);
      await write(out, formatResultLines(ordered));
      progress.update(lines.length);
    }
  } finally {
    progress.stop();
    if (options.out) {
      out.end();
      await once(out, 'finish');
    }
  }

  const tally = tallyResultLines(lines);
  const seconds = (performance.now() - started) / 1000;
  const errors = Object.entries(tally.errors)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  console.error(
    `descry: ${tally.classified} of ${tally.images} images classified` +
      (tally.failed > 0 ? `, ${tally.failed} failed (${errors})` : '') +
      ` in ${seconds.toFixed(1)} s (${(tally.images / seconds).toFixed(1)} images/s)` +
      (options.out ? `; lines in ${options.out}` : ''),
  );
  return tally.failed > 0 ? EXIT.partial : EXIT.ok;
}
