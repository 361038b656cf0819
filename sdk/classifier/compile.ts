/**
 * Compiling a label set: every prompt (each label under each template, each descriptor of each
 * label, each subclass of each label under each subclass template) through the text tower once,
 * the template embeddings ensembled into one weight row per label (CLIP's prompt ensemble), the
 * descriptor embeddings kept per label for classification by description, and one ensemble per
 * subclass for CHiLS (./subclasses.ts). The result carries the model's fingerprint, so it is
 * refused by any other model. This is all the work on labels there is: classifying with the
 * result is one vision run and a matrix product.
 */
import { InvalidInputError } from '../errors.js';
import { matrixRow } from '../math/matrix.js';
import { type SubclassMap, subclassLists } from '../predictors/subclasses.js';
import { classWeightsFromTemplates } from '../predictors/zero-shot.js';
import type { RunOptions } from '../schedule.js';
import { descriptorPromptFromTemplate, PAPER_DESCRIPTOR_TEMPLATE } from '../text/descriptor-prompts.js';
import { applyTemplate, TRANSFORMERS_JS_TEMPLATE as DEFAULT_TEMPLATE } from '../text/templates.js';
import type { DescriptorMap, Matrix } from '../types.js';
import { type ClassDescriptors, CompiledClassifier } from './compiled.js';
import { compileSubclasses } from './subclasses.js';

/** A label set to compile. */
export interface ClassifierSpec {
  labels: readonly string[];
  /** Prompt templates with `{}` for the label; their embeddings are averaged (ensemble). */
  templates?: readonly string[];
  /** Visual descriptors per label for classification by description. */
  descriptors?: DescriptorMap;
  /**
   * How a descriptor becomes a prompt: slots `{class}`, `{clause}` ("which has …", the paper's
   * rules) and `{descriptor}`. Default the paper's `"{class}, {clause}"`.
   */
  descriptorTemplate?: string;
  /**
   * Subclasses per label for method 'subclasses' (CHiLS): `{ label: [subclass, …] }`, each
   * subclass under one label only; labels left out are scored by their own prompts.
   */
  subclasses?: SubclassMap;
  /** Templates each subclass is put in (`{}` for the subclass); default `templates`. */
  subclassTemplates?: readonly string[];
}

/** Embeds prompts (the model's prompt cache), one scheduled unit per text-tower run. */
export type EmbedPrompts = (prompts: readonly string[], options: RunOptions) => Promise<Matrix>;

/**
 * Every prompt compiling `spec` encodes, in order, as a function that builds it: each label under
 * each template, each descriptor prompt, then each subclass under each subclass template. The one
 * walk behind `promptsOf` (which builds them) and `promptCount` (which only counts them).
 */
function forEachPrompt(spec: ClassifierSpec, visit: (build: () => string) => void): void {
  const labels = validateLabels(spec.labels);
  const templates = spec.templates?.length ? spec.templates : [DEFAULT_TEMPLATE];
  for (const label of labels) for (const t of templates) visit(() => applyTemplate(t, label));
  const template = spec.descriptorTemplate ?? PAPER_DESCRIPTOR_TEMPLATE;
  const given = spec.descriptors ?? {};
  for (const label of labels) {
    const list = Object.hasOwn(given, label) ? (given[label] ?? []) : [];
    for (const d of list) if (d.trim()) visit(() => descriptorPromptFromTemplate(template, label, d.trim()));
  }
  if (spec.subclasses !== undefined) {
    const subclassTemplates = spec.subclassTemplates?.length ? spec.subclassTemplates : templates;
    for (const list of subclassLists(labels, spec.subclasses)) {
      for (const name of list) for (const t of subclassTemplates) visit(() => applyTemplate(t, name));
    }
  }
}

/**
 * How many prompts compiling `spec` encodes, without building one: a budget refuses a request far
 * over its limit from this count alone (tests/sdk/prompt-count.test.ts).
 */
export function promptCount(spec: ClassifierSpec): number {
  let count = 0;
  forEachPrompt(spec, () => {
    count++;
  });
  return count;
}

/**
 * Every prompt compiling `spec` encodes, in order (see `forEachPrompt`). A budget counts their
 * tokens before any work (`Descry.promptTokens`).
 */
export function promptsOf(spec: ClassifierSpec): string[] {
  const prompts: string[] = [];
  forEachPrompt(spec, (build) => prompts.push(build()));
  return prompts;
}

/** Labels trimmed, each non-empty and unique; the first problem is a typed error. */
export function validateLabels(labels: readonly string[]): string[] {
  if (!Array.isArray(labels) || labels.length === 0) {
    throw new InvalidInputError('labels_empty', 'at least one label is required');
  }
  const clean = labels.map((label, i) => {
    if (typeof label !== 'string' || label.trim() === '') {
      throw new InvalidInputError('invalid_input', `label ${i} is empty or not a string`);
    }
    return label.trim();
  });
  if (new Set(clean).size !== clean.length) {
    throw new InvalidInputError('invalid_input', 'labels must be unique');
  }
  return clean;
}

/** Compile `spec` for the model identified by `model`. */
export async function compileClassifier(
  spec: ClassifierSpec,
  embed: EmbedPrompts,
  model: { id: string; fingerprint: string },
  options: RunOptions = {},
): Promise<CompiledClassifier> {
  const labels = validateLabels(spec.labels);
  // Refuse a bad subclass map (unknown label, empty list, repeats) before any text-tower work.
  if (spec.subclasses !== undefined) subclassLists(labels, spec.subclasses);
  const templates = [...(spec.templates?.length ? spec.templates : [DEFAULT_TEMPLATE])];
  const prompts = labels.flatMap((label) => templates.map((t) => applyTemplate(t, label)));
  const embedded = await embed(prompts, options);
  const weights = classWeightsFromTemplates(
    labels.map((_, c) => templates.map((_, t) => matrixRow(embedded, c * templates.length + t))),
  );
  const descriptorTemplate = spec.descriptorTemplate ?? PAPER_DESCRIPTOR_TEMPLATE;
  const descriptors = spec.descriptors
    ? await compileDescriptors(labels, spec.descriptors, descriptorTemplate, weights.cols, embed, options)
    : undefined;
  const classifier = new CompiledClassifier({
    labels,
    templates,
    weights,
    ...(descriptors ? { descriptors, descriptorTemplate } : {}),
    fingerprint: model.fingerprint,
    model: model.id,
  });
  if (spec.subclasses === undefined) return classifier;
  return compileSubclasses(classifier, spec.subclasses, {
    embedTexts: (texts) => embed(texts, options),
    ...(spec.subclassTemplates?.length ? { templates: spec.subclassTemplates } : {}),
  });
}

async function compileDescriptors(
  labels: readonly string[],
  given: DescriptorMap,
  template: string,
  cols: number,
  embed: EmbedPrompts,
  options: RunOptions,
): Promise<ClassDescriptors[]> {
  // Blank lines of LLM output are not descriptors; only own keys count (a label may be "__proto__").
  const lists = labels.map((label) =>
    (Object.hasOwn(given, label) ? (given[label] ?? []) : []).map((d) => d.trim()).filter(Boolean),
  );
  const prompts = lists.flatMap((list, i) =>
    list.map((d) => descriptorPromptFromTemplate(template, labels[i]!, d)),
  );
  const rows = prompts.length ? await embed(prompts, options) : { rows: 0, cols, data: new Float32Array() };
  let row = 0;
  return lists.map((list) => {
    const data = rows.data.slice(row * rows.cols, (row + list.length) * rows.cols);
    row += list.length;
    return { descriptors: list, embeddings: { rows: list.length, cols, data } };
  });
}
