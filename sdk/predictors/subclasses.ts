/**
 * Labels with subclasses — CHiLS: Novack, McAuley, Lipton & Garg, ICML 2023, "CHiLS: Zero-Shot
 * Image Classification with Hierarchical Label Sets" (code: github.com/acmi-lab/CHILS,
 * `src/zshot_utils.py`, `conf_pred` and `run`).
 *
 * A coarse label ("vehicle") is hard for CLIP; its members ("bus", "bicycle") are easy. Each label
 * c gets a set S(c) of subclasses; every subclass s belongs to exactly one label y(s).
 *
 *   z_label[c] = logit_scale · normalize(img) · W[c]            W[c]: the label's template ensemble
 *   z_sub[s]   = logit_scale · normalize(img) · V[s]            V[s]: the subclass's template ensemble
 *   p_label    = softmax(z_label)   over the labels
 *   p_sub      = softmax(z_sub)     over ALL subclasses of all labels at once
 *   p̂(s)       = p_sub(s) · p_label(y(s))                       the paper's reweighting
 *   prediction = y(argmax_s p̂(s))
 *
 * as their `conf_pred` computes it (`raw_probs[:, in_cls] * super_probs[:, out_cl]`), with the
 * ensemble of each subclass built like a label's (`zeroshot_classifier`: mean of the normalised
 * template embeddings, renormalised) and logit scale 100 for CLIP. Without reweighting
 * (`reweight: false`, their "CHiLSNoRW" ablation) the prediction is y(argmax_s p_sub(s)).
 *
 * What we add, because CHiLS only returns the argmax label:
 * - A score for every label, so labels can be ranked and calibrated: r[c] = p_label(c) ·
 *   max_{s ∈ S(c)} p_sub(s), the best reweighted subclass of c. The top label is exactly CHiLS's
 *   prediction (the argmax subclass lies in the label with the largest r). For softmax models we
 *   report `logit[c] = log r[c]` and `score = softmax(logit) = r / Σ r`: the normalisers of both
 *   softmaxes cancel, so `score = softmax(z_label[c] + max_{s∈S(c)} z_sub[s])`, and dropping a
 *   label and renormalising gives exactly the scores over the smaller label set.
 * - SigLIP (sigmoid) models, which CHiLS does not cover: p_label and p_sub are the model's
 *   independent sigmoids, `score = r[c] = σ(z_label[c]) · σ(z_sub[s*])` (not normalised, like
 *   any SigLIP score) and `logit = log(r / (1 − r))` so that `score = σ(logit)` as elsewhere.
 * - `cosine[c]` is the cosine of c's best subclass; `evidence[c]` lists c's subclasses with their
 *   cosines, best first ("I saw a vehicle because I saw a bus").
 * - A label without subclasses falls back to its own template ensemble as its only subclass, so
 *   it competes at zero-shot strength (their code needs a subclass list for every label).
 * - `includeLabel` adds each label's own ensemble to its subclass set, their `true_wsup`
 *   experiment (their GPT-3 label sets always contain the superclass name, `get_cleaned_gpt_sets`).
 *   Default off, as in their main results with true hierarchies.
 * Not copied: their GPT-set cleanup that appends the superclass name to every subclass that lacks
 * it ("{sub} {super}") is a choice of texts, made by whoever writes the subclass lists.
 *
 * Measured (bench/results/methods-accuracy.md, held-out OpenMoji on the embedded model, each label
 * given its member emoji as subclasses, paired bootstrap intervals): 98 subcategories, top-1 48.5%
 * against 30.1% for the template ensemble (+18.4 [16.5, 20.4] points) and 24.9% for classification
 * by description with the same members as descriptors (the paper's mean); 9 groups ← their 1,906
 * emoji, +10.9 [9.0, 13.0] over the ensemble. The reweighting adds 0.2 [−1.3, 1.6], 3.0 [1.6, 4.4]
 * and 4.5 [2.9, 6.1] points on the three hierarchies there; `includeLabel` helps on none.
 */
import { InvalidInputError } from '../errors.js';
import { createMatrix, matrixRow, matVec } from '../math/matrix.js';
import { assertEmbedding, assertFinite, assertMatrix, unitEmbedding } from '../math/shape.js';
import { l2Normalize, softmax } from '../math/vector.js';
import type { Evidence, Matrix } from '../types.js';
import type { Activation, ClassScores } from './class-scores.js';

/** The subclasses of one label as the caller supplies them. */
export interface SubclassedLabel {
  /** The label's name (names its own row when it is scored as one of its subclasses). */
  label: string;
  /** Subclass texts, aligned with the rows of `embeddings`; empty for a label without subclasses. */
  subclasses: readonly string[];
  /** One embedding per subclass (its template ensemble; normalised here). */
  embeddings: Matrix;
}

/**
 * Every subclass of every label stacked and normalised once, so that scoring an image is two
 * matrix × vector products. Build it with {@link subclassWeights}.
 */
export interface SubclassWeights {
  /** labels × dim, unit rows: each label's own template ensemble. */
  labels: Matrix;
  /** Unit subclass embeddings, label after label (a fallback label owns one row: its own). */
  subclasses: Matrix;
  /** Label c owns subclass rows `offsets[c]` to `offsets[c + 1] - 1`; length = labels + 1. */
  offsets: Uint32Array;
  /** Text of each subclass row (the label's name for its own row: a fallback or `includeLabel`). */
  names: string[];
  /** 1 for a label scored by its own ensemble alone (no subclasses given). */
  usesFallback: Uint8Array;
}

/** Options of {@link subclassWeights}. */
export interface SubclassWeightOptions {
  /** Add each label's own ensemble to its subclass set (their `true_wsup`). Default false. */
  includeLabel?: boolean;
}

/** How {@link classifyBySubclasses} turns cosines into scores. */
export interface SubclassOptions {
  /** The model's logit scale, already exponentiated (CLIP: 100). */
  logitScale: number;
  /** Added to every logit (SigLIP's learned bias). Default 0. */
  logitBias?: number;
  activation: Activation;
  /** Multiply by the label's own probability (the paper's CHiLS). Default true. */
  reweight?: boolean;
}

/** {@link ClassScores} with, per label, its subclasses best first and the row that matched. */
export interface SubclassScores extends ClassScores {
  evidence: Evidence[][];
  /** Per label, the subclass row (index into `names`) that scored it. */
  matched: Uint32Array;
}

/** Subclasses per label as users write them: `{ label: [subclass, …] }`. Labels left out have none. */
export type SubclassMap = Readonly<Record<string, readonly string[]>>;

/**
 * The subclass list of each label, in the order of `labels`, from a user's map; entries trimmed.
 * A label the map leaves out gets an empty list (scored by its own name).
 *
 * @throws InvalidInputError for a map that is not an object, a key that is not one of `labels`,
 *   a value that is not an array of strings, an empty list (leave the label out instead: an empty
 *   list is more often a generation that failed than a wish), a blank entry, or a subclass listed
 *   twice, under one label or under two (each subclass must map back to one label).
 */
export function subclassLists(labels: readonly string[], map: SubclassMap): string[][] {
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new InvalidInputError('invalid_input', 'subclasses must be an object { label: [subclass, …] }');
  }
  const index = new Map(labels.map((label, c) => [label, c]));
  const lists: string[][] = labels.map(() => []);
  const owner = new Map<string, string>();
  for (const [label, list] of Object.entries(map)) {
    const c = index.get(label);
    if (c === undefined) {
      throw new InvalidInputError(
        'invalid_input',
        `subclasses given for "${label}", which is not one of the labels`,
        {
          details: { label },
        },
      );
    }
    if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) {
      throw new InvalidInputError('invalid_input', `subclasses of "${label}" must be an array of strings`, {
        details: { label },
      });
    }
    if (list.length === 0) {
      throw new InvalidInputError(
        'invalid_input',
        `"${label}" has an empty subclass list: give at least one subclass, or leave the label out to score it by its name`,
        { details: { label } },
      );
    }
    for (const raw of list) {
      const name = raw.trim();
      if (name === '') {
        throw new InvalidInputError('invalid_input', `"${label}" has a blank subclass`, {
          details: { label },
        });
      }
      const previous = owner.get(name);
      if (previous !== undefined) {
        throw new InvalidInputError(
          'invalid_input',
          previous === label
            ? `"${label}" lists the subclass "${name}" twice`
            : `the subclass "${name}" is listed under "${previous}" and "${label}"; a subclass must belong to one label`,
          { details: { subclass: name, labels: previous === label ? [label] : [previous, label] } },
        );
      }
      owner.set(name, label);
      lists[c]!.push(name);
    }
  }
  return lists;
}

/**
 * Stacks and normalises the subclass embeddings of every label.
 *
 * @param labelWeights - labels × dim, the labels' own template ensembles (fallback rows).
 * @param labels - per label (same order as `labelWeights`), its subclasses.
 * @throws InvalidInputError when `labels` and `labelWeights` disagree in count, a label has
 *   subclass texts that do not match its embedding rows, a subclass text is blank or repeated
 *   (within a label or across labels: the map back to labels must be a function), or an embedding
 *   has the wrong length, a non-finite value or is zero.
 */
export function subclassWeights(
  labelWeights: Matrix,
  labels: readonly SubclassedLabel[],
  options: SubclassWeightOptions = {},
): SubclassWeights {
  assertMatrix(labelWeights, 'label weights');
  if (labelWeights.rows === 0) throw new InvalidInputError('labels_empty', 'at least one label is needed');
  if (labels.length !== labelWeights.rows) {
    throw new InvalidInputError(
      'invalid_input',
      `${labels.length} subclass lists for ${labelWeights.rows} labels: give one per label (empty for none)`,
    );
  }
  const dim = labelWeights.cols;
  const include = options.includeLabel === true;
  const owner = new Map<string, number>();
  const offsets = new Uint32Array(labels.length + 1);
  labels.forEach((label, c) => {
    assertMatrix(label.embeddings, `subclass embeddings of label ${c}`);
    if (label.embeddings.rows !== label.subclasses.length) {
      throw new InvalidInputError(
        'invalid_input',
        `label ${c} has ${label.subclasses.length} subclasses but ${label.embeddings.rows} embeddings`,
      );
    }
    if (label.subclasses.length > 0 && label.embeddings.cols !== dim) {
      throw new InvalidInputError(
        'invalid_input',
        `label ${c} subclass embeddings have length ${label.embeddings.cols}, expected ${dim}`,
      );
    }
    for (const name of label.subclasses) {
      if (typeof name !== 'string' || name.trim() === '') {
        throw new InvalidInputError('invalid_input', `label "${label.label}" has a blank subclass`, {
          details: { label: label.label },
        });
      }
      const previous = owner.get(name);
      if (previous !== undefined) {
        const other = labels[previous]!.label;
        throw new InvalidInputError(
          'invalid_input',
          previous === c
            ? `label "${label.label}" lists the subclass "${name}" twice`
            : `the subclass "${name}" is listed under "${other}" and "${label.label}"; a subclass must belong to one label`,
          { details: { subclass: name, labels: previous === c ? [other] : [other, label.label] } },
        );
      }
      owner.set(name, c);
    }
    const own = label.subclasses.length === 0 || include ? 1 : 0;
    offsets[c + 1] = offsets[c]! + label.subclasses.length + own;
  });
  const subclasses = createMatrix(offsets[labels.length]!, dim);
  const unitLabels = createMatrix(labels.length, dim);
  const names: string[] = [];
  const usesFallback = new Uint8Array(labels.length);
  labels.forEach((label, c) => {
    const own = matrixRow(labelWeights, c);
    assertEmbedding(own, dim, `weights of label ${c}`);
    l2Normalize(own, matrixRow(unitLabels, c));
    let row = offsets[c]!;
    if (label.subclasses.length === 0 || include) {
      subclasses.data.set(matrixRow(unitLabels, c), row * dim);
      names.push(label.label);
      row++;
      if (label.subclasses.length === 0) usesFallback[c] = 1;
    }
    label.subclasses.forEach((name, s) => {
      const source = matrixRow(label.embeddings, s);
      assertEmbedding(source, dim, `embedding of subclass ${s} of label ${c}`);
      l2Normalize(source, matrixRow(subclasses, row));
      names.push(name);
      row++;
    });
  });
  return { labels: unitLabels, subclasses, offsets, names, usesFallback };
}

/**
 * Scores one image embedding by its labels' subclasses (see the file header for the formula).
 *
 * @throws InvalidInputError for an image of the wrong length, non-finite or zero, a non-finite
 *   logit scale or bias, or an unknown activation.
 */
export function classifyBySubclasses(
  image: Float32Array,
  weights: SubclassWeights,
  options: SubclassOptions,
): SubclassScores {
  assertFinite(options.logitScale, 'logitScale');
  if (options.logitBias !== undefined) assertFinite(options.logitBias, 'logitBias');
  if (options.activation !== 'softmax' && options.activation !== 'sigmoid') {
    throw new InvalidInputError('invalid_input', `activation must be 'softmax' or 'sigmoid'`, {
      details: { activation: options.activation },
    });
  }
  const reweight = options.reweight ?? true;
  const scale = options.logitScale;
  const bias = options.logitBias ?? 0;
  const unit = unitEmbedding(image, weights.labels.cols, 'image embedding');
  const labelCosines = matVec(weights.labels, unit);
  const subCosines = matVec(weights.subclasses, unit);
  const count = weights.labels.rows;
  const cosine = new Float32Array(count);
  const logit = new Float32Array(count);
  const matched = new Uint32Array(count);
  const evidence: Evidence[][] = [];
  // Best subclass of each label: p_sub is monotone in the cosine within one softmax.
  for (let c = 0; c < count; c++) {
    const start = weights.offsets[c]!;
    const end = weights.offsets[c + 1]!;
    let best = start;
    for (let r = start + 1; r < end; r++) if (subCosines[r]! > subCosines[best]!) best = r;
    matched[c] = best;
    cosine[c] = subCosines[best]!;
    evidence.push(weights.usesFallback[c] ? [] : sortedEvidence(weights.names, subCosines, start, end));
  }
  if (options.activation === 'softmax') {
    // log r[c] = log p_label(c) + log p_sub(s*); both log-normalisers are exact, so the logits are
    // log-probabilities of the reweighted best subclass, comparable across images.
    const labelShift = reweight ? logSumExp(labelCosines, scale, bias) : 0;
    const subShift = logSumExp(subCosines, scale, bias);
    for (let c = 0; c < count; c++) {
      const sub = scale * cosine[c]! + bias - subShift;
      logit[c] = reweight ? scale * labelCosines[c]! + bias - labelShift + sub : sub;
    }
    return { cosine, logit, score: softmax(logit), evidence, matched };
  }
  const score = new Float32Array(count);
  for (let c = 0; c < count; c++) {
    const logR =
      logSigmoid(scale * cosine[c]! + bias) + (reweight ? logSigmoid(scale * labelCosines[c]! + bias) : 0);
    score[c] = Math.exp(logR);
    // logit(r) = log r − log(1 − r), with log(1 − r) = log(−expm1(log r)) accurate near r = 1.
    logit[c] = logR - Math.log(-Math.expm1(logR));
  }
  return { cosine, logit, score, evidence, matched };
}

/** log Σ exp(scale · x + bias), stable. */
function logSumExp(x: Float32Array, scale: number, bias: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < x.length; i++) max = Math.max(max, scale * x[i]! + bias);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(scale * x[i]! + bias - max);
  return max + Math.log(sum);
}

/** log σ(z) without overflow on either side. */
function logSigmoid(z: number): number {
  return z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
}

function sortedEvidence(names: string[], cosines: Float32Array, start: number, end: number): Evidence[] {
  const evidence: Evidence[] = [];
  for (let r = start; r < end; r++) evidence.push({ descriptor: names[r]!, cosine: cosines[r]! });
  // Array.prototype.sort is stable: equal cosines keep the subclasses' order.
  return evidence.sort((a, b) => b.cosine - a.cosine);
}
