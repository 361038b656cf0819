/**
 * `descry calibrate`: fit a classifier's conformal calibration (split conformal prediction,
 * sdk/predictors/conformal.ts) on labelled images and write the calibrated classifier, whose
 * classifications by the same method then carry a prediction set per image with coverage
 * ≥ 1 − α (`descry classify --classifier … --max-set-size n` abstains on sets larger than n).
 *
 * Labelled images are one folder per label, the layout most image datasets ship in
 * (`calibration/food fruit/1F34D.png`): a folder name must be one of the classifier's labels.
 * Images that cannot be decoded are skipped with a warning; the SDK refuses a calibration set
 * smaller than α needs (α = 0.1: 9 images; 0.05: 19), saying how many.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { embedImagesSettled } from '../batch/classify-batch.js';
import type { CalibrationOptions, Descry } from '../descry.js';
import type { ConfidenceMeasure, ConformalMethod } from '../predictors/conformal.js';
import { CliError } from './cli-error.js';
import { imagePaths } from './image-paths.js';

/** The options of `descry calibrate`, as commander parses them. */
export interface CalibrateCommandOptions {
  classifier: string;
  out: string;
  alpha: string;
  method: 'zeroshot' | 'descriptions' | 'subclasses';
  score: ConformalMethod;
  noneOfThese?: ConfidenceMeasure;
  batchSize: string;
}

/** Each image path under `folder` with its label, the name of the subfolder it is in. */
async function labelledPaths(
  folder: string,
  known: ReadonlySet<string>,
): Promise<{ path: string; label: string }[]> {
  const entries = await readdir(folder, { withFileTypes: true }).catch((error: Error) => {
    throw new CliError(`${folder}: ${error.message}`);
  });
  const out: { path: string; label: string }[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    if (!known.has(entry.name)) {
      throw new CliError(
        `${join(folder, entry.name)}: "${entry.name}" is not one of the classifier's labels (one folder per label)`,
      );
    }
    for (const path of await imagePaths([join(folder, entry.name)])) out.push({ path, label: entry.name });
  }
  if (out.length === 0) throw new CliError(`${folder}: no label folders with images (one folder per label)`);
  return out;
}

/** Run `descry calibrate`; resolves to the exit code. */
export async function calibrateCommand(
  folder: string,
  options: CalibrateCommandOptions,
  loadModel: () => Promise<Descry>,
): Promise<number> {
  const alpha = Number(options.alpha);
  if (!(alpha > 0 && alpha < 1)) throw new CliError(`--alpha must be in (0, 1), not "${options.alpha}"`);
  const batchSize = Number(options.batchSize);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new CliError(`--batch-size must be a positive integer, not "${options.batchSize}"`);
  }
  const bytes = await readFile(options.classifier).catch((error: Error) => {
    throw new CliError(`--classifier ${options.classifier}: ${error.message}`);
  });
  const descry = await loadModel();
  const classifier = descry.loadClassifier(new Uint8Array(bytes));
  const items = await labelledPaths(folder, new Set(classifier.labels));
  const images = await Promise.all(items.map(async (item) => new Uint8Array(await readFile(item.path))));
  const settled = await embedImagesSettled(descry, images, { batchSize });
  for (const [index, error] of settled.failures) {
    console.error(`descry: calibrate skips ${items[index]!.path}: ${error.code}`);
  }
  const calibration: CalibrationOptions = {
    alpha,
    method: options.method,
    score: options.score,
    ...(options.noneOfThese ? { noneOfThese: options.noneOfThese } : {}),
  };
  const calibrated = await descry.calibrate(
    classifier,
    { embeddings: settled.embeddings, labels: settled.indices.map((i) => items[i]!.label) },
    calibration,
  );
  await writeFile(options.out, calibrated.toBytes());
  const fitted = calibrated.calibration!;
  console.log(
    `${options.out}: calibrated on ${fitted.n} images for method ${options.method}, α = ${alpha}, ` +
      `${options.score.toUpperCase()} threshold ${fitted.threshold.toFixed(4)}` +
      (fitted.noneOfThese
        ? `, none of these below ${options.noneOfThese} ${fitted.noneOfThese.below.toFixed(4)}`
        : '') +
      `: sets hold the true label at least ${+((1 - alpha) * 100).toFixed(2)}% of the time, for images like these`,
  );
  return 0;
}
