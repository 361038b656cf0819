/**
 * Classification by description — Menon & Vondrick, ICLR 2023, "Visual Classification via
 * Description from Large Language Models".
 *
 *   score[c] = mean_d ( normalize(img) · normalize(emb(prompt_{c,d})) )   (or max, or sum)
 *   probs    = softmax(logit_scale · score)            (CLIP)
 *            | sigmoid(logit_scale · score + bias)     (SigLIP: its family's scoring)
 *   evidence = the class's descriptor cosines, sorted descending
 *
 * Their code stops at `score` (no logit scale); for probabilities we use the model's
 * scoring (logit scale, bias and activation), as zero-shot does.
 *
 * Deviation: a class with no descriptors falls back to the embedding of its class-name
 * prompt. Their code scores such a class with the bare clause, which says nothing about
 * the class; the class-name prompt is the paper's own baseline, so the class competes at
 * its zero-shot strength instead of at noise level.
 */
import { InvalidInputError } from '../errors.js';
import { createMatrix, matrixRow, matVec } from '../math/matrix.js';
import { assertEmbedding, assertFinite, assertMatrix, unitEmbedding } from '../math/shape.js';
import { l2Normalize } from '../math/vector.js';
import type { DescriptorAggregation, Evidence, Matrix } from '../types.js';
import { activate, type ClassScores, type Scoring } from './class-scores.js';

/** One class as the caller supplies it. */
export interface DescribedClass {
  /** Descriptor texts (not the prompts), aligned with the rows of `embeddings`. */
  descriptors: readonly string[];
  /** Text embedding of each descriptor prompt, one row per descriptor (any length, normalised here). */
  embeddings: Matrix;
  /** Text embedding of the class-name prompt; required when `descriptors` is empty. */
  fallback?: Float32Array;
}

/**
 * Descriptor embeddings of every class, stacked and normalised once so that scoring an
 * image is a single matrix × vector product. Build it with {@link descriptionWeights}.
 */
export interface DescriptionWeights {
  /** Unit-length prompt embeddings of all classes, class after class. */
  embeddings: Matrix;
  /** Class c owns rows `offsets[c]` to `offsets[c + 1] - 1`; length = classes + 1. */
  offsets: Uint32Array;
  /** Descriptor text of each row (empty string for a fallback row). */
  descriptors: string[];
  /** 1 for a class scored by its class-name fallback, else 0. */
  usesFallback: Uint8Array;
}

/** Options of {@link classifyByDescription}: the model's scoring and the pooling. */
export interface DescriptionOptions extends Scoring {
  /**
   * How descriptor cosines pool into the class score. Default `mean` (the paper's).
   * With `sum`, `logit = logitScale · Σ cosines + logitBias` while the reported `cosine` stays the
   * mean, so it remains a cosine in [-1, 1].
   */
  aggregation?: DescriptorAggregation;
}

/** {@link ClassScores} plus, per class, its descriptors strongest first (empty for a fallback class). */
export interface DescriptionScores extends ClassScores {
  evidence: Evidence[][];
}

/**
 * Stacks and normalises the descriptor embeddings of every class.
 *
 * @throws InvalidInputError for no classes, descriptors not matching embedding rows, a
 *   class without descriptors and without fallback, or embeddings of unequal length,
 *   non-finite or zero.
 */
export function descriptionWeights(classes: readonly DescribedClass[]): DescriptionWeights {
  if (classes.length === 0) throw new InvalidInputError('labels_empty', 'at least one class is needed');
  const first = classes[0]!;
  const dim = first.descriptors.length > 0 ? first.embeddings.cols : (first.fallback?.length ?? 0);
  const offsets = new Uint32Array(classes.length + 1);
  classes.forEach((described, c) => {
    assertMatrix(described.embeddings, `descriptor embeddings of class ${c}`);
    if (described.embeddings.rows !== described.descriptors.length) {
      throw new InvalidInputError(
        'invalid_input',
        `class ${c} has ${described.descriptors.length} descriptors but ${described.embeddings.rows} embeddings`,
      );
    }
    if (described.descriptors.length > 0 && described.embeddings.cols !== dim) {
      throw new InvalidInputError(
        'invalid_input',
        `class ${c} embeddings have length ${described.embeddings.cols}, expected ${dim}`,
      );
    }
    offsets[c + 1] = offsets[c]! + Math.max(1, described.descriptors.length);
  });
  const total = offsets[classes.length]!;
  const embeddings = createMatrix(total, dim);
  const descriptors: string[] = [];
  const usesFallback = new Uint8Array(classes.length);
  classes.forEach((described, c) => {
    const start = offsets[c]!;
    if (described.descriptors.length === 0) {
      if (described.fallback === undefined) {
        throw new InvalidInputError(
          'invalid_input',
          `class ${c} has no descriptors and no fallback embedding`,
        );
      }
      assertEmbedding(described.fallback, dim, `fallback embedding of class ${c}`);
      l2Normalize(described.fallback, matrixRow(embeddings, start));
      descriptors.push('');
      usesFallback[c] = 1;
      return;
    }
    described.descriptors.forEach((descriptor, d) => {
      const source = matrixRow(described.embeddings, d);
      assertEmbedding(source, dim, `embedding of descriptor ${d} of class ${c}`);
      l2Normalize(source, matrixRow(embeddings, start + d));
      descriptors.push(descriptor);
    });
  });
  return { embeddings, offsets, descriptors, usesFallback };
}

/**
 * Scores one image embedding against every class's descriptors.
 *
 * @throws InvalidInputError for an image of the wrong length, non-finite or zero, a
 *   non-finite logit scale or an unknown aggregation.
 */
export function classifyByDescription(
  image: Float32Array,
  weights: DescriptionWeights,
  options: DescriptionOptions,
): DescriptionScores {
  assertFinite(options.logitScale, 'logitScale');
  const bias = options.logitBias ?? 0;
  assertFinite(bias, 'logitBias');
  const aggregation = options.aggregation ?? 'mean';
  if (aggregation !== 'mean' && aggregation !== 'max' && aggregation !== 'sum') {
    throw new InvalidInputError('invalid_input', `aggregation must be 'mean', 'max' or 'sum'`, {
      details: { aggregation },
    });
  }
  const unit = unitEmbedding(image, weights.embeddings.cols, 'image embedding');
  const rowCosines = matVec(weights.embeddings, unit);
  const classCount = weights.offsets.length - 1;
  const cosine = new Float32Array(classCount);
  const logit = new Float32Array(classCount);
  const evidence: Evidence[][] = [];
  for (let c = 0; c < classCount; c++) {
    const start = weights.offsets[c]!;
    const end = weights.offsets[c + 1]!;
    let sum = 0;
    let max = Number.NEGATIVE_INFINITY;
    for (let r = start; r < end; r++) {
      const value = rowCosines[r]!;
      sum += value;
      if (value > max) max = value;
    }
    const mean = sum / (end - start);
    cosine[c] = aggregation === 'max' ? max : mean;
    logit[c] = options.logitScale * (aggregation === 'sum' ? sum : cosine[c]!) + bias;
    evidence.push(weights.usesFallback[c] ? [] : sortedEvidence(weights.descriptors, rowCosines, start, end));
  }
  return { cosine, logit, score: activate(logit, options.activation ?? 'softmax'), evidence };
}

function sortedEvidence(
  descriptors: string[],
  cosines: Float32Array,
  start: number,
  end: number,
): Evidence[] {
  const evidence: Evidence[] = [];
  for (let r = start; r < end; r++) evidence.push({ descriptor: descriptors[r]!, cosine: cosines[r]! });
  // Array.prototype.sort is stable: equal cosines keep the descriptors' order.
  return evidence.sort((a, b) => b.cosine - a.cosine);
}
