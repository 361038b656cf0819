/**
 * What the SDK answers in Node for the inputs a browser test gives the page: the reference the
 * page's rendering is checked against, computed at test time so that no assertion hard-codes
 * what the (retrainable) model says.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ClassificationResult, type ClassifyOptions, Descry, EMOJI_TEMPLATES } from 'descry';
import { FIXTURE_DIR, FIXTURE_FILES } from '../../worker/support/emoji-fixtures.js';

const root = new URL('../../..', import.meta.url).pathname;

let model: Promise<Descry> | undefined;

/** The embedded model, loaded once per test file. */
export function nodeDescry(): Promise<Descry> {
  model ??= Descry.load(join(root, 'models', 'emoji-clip'));
  return model;
}

/** Classify one image file (a path from the repository root) as the page does by default. */
export async function nodeClassify(
  file: string,
  labels: readonly string[],
  options: ClassifyOptions = {},
): Promise<ClassificationResult> {
  const descry = await nodeDescry();
  const [result] = await descry.classify(await readFile(join(root, file)), labels, {
    templates: EMOJI_TEMPLATES,
    ...options,
  });
  return result!;
}

/** A committed image, the labels to classify it against, and the SDK's answer in Node. */
export interface FixtureChoice {
  /** Path from the repository root. */
  path: string;
  /** Its emoji name. */
  name: string;
  labels: string[];
  result: ClassificationResult;
  /** Top score minus the runner-up's. */
  margin: number;
}

/**
 * Among the worker tests' fixture images (tests/worker/support/emoji-fixtures.ts), against their
 * names, the one that Node's SDK ranks under its own name by the widest margin.
 */
export async function clearestFixture(): Promise<FixtureChoice> {
  const names = JSON.parse(await readFile(join(root, FIXTURE_DIR, 'labels.json'), 'utf8')) as Record<
    string,
    { name: string }
  >;
  const labels = FIXTURE_FILES.map((file) => names[file]!.name);
  let best: FixtureChoice | undefined;
  for (const file of FIXTURE_FILES) {
    const path = `${FIXTURE_DIR}/${file}`;
    const result = await nodeClassify(path, labels);
    const [first, second] = result.predictions;
    const margin = first!.score - second!.score;
    if (first!.label === names[file]!.name && margin > (best?.margin ?? 0)) {
      best = { path, name: names[file]!.name, labels, result, margin };
    }
  }
  if (!best) throw new Error(`the model ranks none of ${FIXTURE_FILES.join(', ')} under its own name`);
  return best;
}
