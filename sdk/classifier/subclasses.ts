/**
 * Subclasses in a compiled classifier (CHiLS, sdk/predictors/subclasses.ts): compiling them needs
 * the text encoder once, scoring with them needs only the stored embeddings, so the request path
 * stays one vision run and two matrix × vector products.
 *
 * Each subclass is embedded like a label: the mean of its normalised template embeddings,
 * renormalised (the authors' `zeroshot_classifier`, applied to subclass names), with the
 * classifier's own templates unless others are given.
 */
import { InvalidInputError, ModelMismatchError } from '../errors.js';
import { matrixRow } from '../math/matrix.js';
import {
  classifyBySubclasses,
  type SubclassMap,
  type SubclassScores,
  type SubclassWeights,
  subclassLists,
  subclassWeights,
} from '../predictors/subclasses.js';
import { classWeightsFromTemplates, type ZeroShotOptions } from '../predictors/zero-shot.js';
import { applyTemplate } from '../text/templates.js';
import type { Matrix } from '../types.js';
import type { ClassSubclasses, CompiledClassifier } from './compiled.js';

/** Encodes texts as they are (no template), one row per text; Descry's `embedTexts`. */
export type EmbedTexts = (texts: readonly string[]) => Promise<Matrix>;

/** Options of {@link compileSubclasses}. */
export interface CompileSubclassesOptions {
  /** The text encoder of the classifier's model. */
  embedTexts: EmbedTexts;
  /** Templates each subclass is put in; default the classifier's own. */
  templates?: readonly string[];
}

/**
 * `classifier` with the subclasses of `subclasses` compiled in: `{ label: [subclass, …] }`,
 * labels left out scored by their own name.
 *
 * @throws InvalidInputError for a label not in the classifier, an empty, blank or repeated
 *   subclass (predictors/subclasses.ts `subclassLists`), or a template without a slot;
 *   ModelMismatchError when `embedTexts` answers with another width than the classifier's
 *   (another model) or another number of rows.
 */
export async function compileSubclasses(
  classifier: CompiledClassifier,
  subclasses: SubclassMap,
  options: CompileSubclassesOptions,
): Promise<CompiledClassifier> {
  const lists = subclassLists(classifier.labels, subclasses);
  const templates = [...(options.templates?.length ? options.templates : classifier.templates)];
  const prompts = lists.flatMap((list) =>
    list.flatMap((name) => templates.map((t) => applyTemplate(t, name))),
  );
  const dim = classifier.weights.cols;
  let embedded: Matrix = { rows: 0, cols: dim, data: new Float32Array() };
  if (prompts.length > 0) {
    embedded = await options.embedTexts(prompts);
    if (embedded.rows !== prompts.length || embedded.cols !== dim) {
      throw new ModelMismatchError(
        'model_mismatch',
        `embedTexts returned ${embedded.rows} × ${embedded.cols} for ${prompts.length} prompts; the classifier needs width ${dim} (is it the classifier's model?)`,
        { details: { rows: embedded.rows, cols: embedded.cols, prompts: prompts.length, dim } },
      );
    }
  }
  let row = 0;
  const compiled: ClassSubclasses[] = lists.map((list) => {
    if (list.length === 0)
      return { subclasses: [], embeddings: { rows: 0, cols: dim, data: new Float32Array() } };
    const ensembles = classWeightsFromTemplates(
      list.map(() => templates.map(() => matrixRow(embedded, row++))),
    );
    return { subclasses: list, embeddings: ensembles };
  });
  return classifier.withSubclasses(compiled, templates);
}

/** Options of {@link subclassScorer}. */
export interface SubclassPredictOptions {
  /** Multiply by the label's own probability (CHiLS). Default true. */
  reweight?: boolean;
  /** Count each label's own ensemble as one of its subclasses. Default false. */
  includeLabel?: boolean;
}

const cache = new WeakMap<CompiledClassifier, Map<boolean, SubclassWeights>>();

/**
 * The per-image CHiLS scoring function of `classifier`, its weights stacked once per classifier.
 * A classifier without subclasses scores every label by its own ensemble (zero-shot ranking).
 */
export function subclassScorer(
  classifier: CompiledClassifier,
  scoring: ZeroShotOptions,
  options: SubclassPredictOptions = {},
): (image: Float32Array) => SubclassScores {
  const weights = stackedSubclasses(classifier, options.includeLabel === true);
  const reweight = options.reweight ?? true;
  return (image) => classifyBySubclasses(image, weights, { ...scoring, reweight });
}

function stackedSubclasses(classifier: CompiledClassifier, includeLabel: boolean): SubclassWeights {
  let byInclude = cache.get(classifier);
  if (!byInclude) {
    byInclude = new Map();
    cache.set(classifier, byInclude);
  }
  let weights = byInclude.get(includeLabel);
  if (!weights) {
    const dim = classifier.weights.cols;
    weights = subclassWeights(
      classifier.weights,
      classifier.labels.map((label, c) => {
        const own = classifier.subclasses[c];
        return {
          label,
          subclasses: own?.subclasses ?? [],
          embeddings: own?.embeddings ?? { rows: 0, cols: dim, data: new Float32Array() },
        };
      }),
      { includeLabel },
    );
    byInclude.set(includeLabel, weights);
  }
  return weights;
}

/** Throws unless `classifier` has subclasses (for callers that must not silently fall back). */
export function assertSubclasses(classifier: CompiledClassifier): void {
  if (!classifier.hasSubclasses) {
    throw new InvalidInputError('invalid_input', 'this classifier was compiled without subclasses', {
      details: { labels: classifier.labels.length },
    });
  }
}
