/**
 * A compiled classifier: a label set, its templates and descriptors, turned once into text
 * embeddings. Classifying with one needs only the vision encoder, so an edge deployment never
 * loads the text encoder or the tokenizer.
 */
import { ModelMismatchError } from '../errors.js';
import type { DescriptorMap, Matrix } from '../types.js';
import { type ClassifierHeader, decodeClassifier, encodeClassifier, type StoredDtype } from './format.js';

/** Descriptor prompts of one class with their embeddings. */
export interface ClassDescriptors {
  descriptors: string[];
  /** descriptors.length × dim, L2-normalised rows. */
  embeddings: Matrix;
}

/** A label set compiled into embeddings for one model. */
export class CompiledClassifier {
  /** Class labels, in row order of `weights`. */
  readonly labels: readonly string[];
  readonly templates: readonly string[];
  /** classes × dim: the normalised template ensemble of each label. */
  readonly weights: Matrix;
  /** Descriptor embeddings per label (same order as `labels`); empty when compiled without. */
  readonly descriptors: readonly ClassDescriptors[];
  /** How descriptors were turned into prompts (see `ClassifierSpec.descriptorTemplate`). */
  readonly descriptorTemplate: string | undefined;
  /** Fingerprint of the model the embeddings belong to. */
  readonly fingerprint: string;
  /** Id of that model, for messages. */
  readonly model: string;
  readonly created: string;

  constructor(init: {
    labels: readonly string[];
    templates: readonly string[];
    weights: Matrix;
    descriptors?: readonly ClassDescriptors[];
    descriptorTemplate?: string;
    fingerprint: string;
    model: string;
    created?: string;
  }) {
    this.labels = init.labels;
    this.templates = init.templates;
    this.weights = init.weights;
    this.descriptors = init.descriptors ?? [];
    this.descriptorTemplate = init.descriptorTemplate;
    this.fingerprint = init.fingerprint;
    this.model = init.model;
    this.created = init.created ?? new Date().toISOString();
  }

  /** Whether descriptors were compiled in. */
  get hasDescriptors(): boolean {
    return this.descriptors.length > 0;
  }

  /** The descriptor map this classifier was compiled with. */
  get descriptorMap(): DescriptorMap | undefined {
    if (!this.hasDescriptors) return undefined;
    return Object.fromEntries(this.labels.map((label, i) => [label, [...this.descriptors[i]!.descriptors]]));
  }

  /** Throws ModelMismatchError unless the classifier belongs to the model with `fingerprint`. */
  assertModel(fingerprint: string, model = 'this model'): void {
    if (fingerprint !== this.fingerprint) {
      throw new ModelMismatchError(
        'model_mismatch',
        `classifier was compiled for model ${this.model} (fingerprint ${this.fingerprint.slice(0, 12)}…), not for ${model} (${fingerprint.slice(0, 12)}…); compile it again for this model`,
        { details: { expected: fingerprint, found: this.fingerprint } },
      );
    }
  }

  /** Serialise to the versioned binary format (float16 by default). */
  toBytes(dtype: StoredDtype = 'float16'): Uint8Array {
    const dim = this.weights.cols;
    const descriptorRows = this.descriptors.reduce((n, d) => n + d.embeddings.rows, 0);
    const descriptorEmbeddings = new Float32Array(descriptorRows * dim);
    let offset = 0;
    for (const d of this.descriptors) {
      descriptorEmbeddings.set(d.embeddings.data, offset);
      offset += d.embeddings.data.length;
    }
    const header: ClassifierHeader = {
      fingerprint: this.fingerprint,
      model: this.model,
      dim,
      labels: [...this.labels],
      templates: [...this.templates],
      created: this.created,
    };
    const descriptors = this.descriptorMap;
    if (descriptors) header.descriptors = descriptors;
    if (this.descriptorTemplate) header.descriptorTemplate = this.descriptorTemplate;
    return encodeClassifier({ header, classWeights: this.weights.data, descriptorEmbeddings }, dtype);
  }

  /**
   * Load a serialised classifier. With `expectedFingerprint`, a classifier compiled for another
   * model is refused with ModelMismatchError('model_mismatch').
   */
  static fromBytes(bytes: Uint8Array, expectedFingerprint?: string): CompiledClassifier {
    const { header, classWeights, descriptorEmbeddings } = decodeClassifier(bytes);
    const dim = header.dim;
    const descriptors: ClassDescriptors[] = [];
    if (header.descriptors) {
      let row = 0;
      for (const label of header.labels) {
        const list = (Object.hasOwn(header.descriptors, label) ? header.descriptors[label] : undefined) ?? [];
        descriptors.push({
          descriptors: list,
          embeddings: {
            rows: list.length,
            cols: dim,
            data: descriptorEmbeddings.slice(row * dim, (row + list.length) * dim),
          },
        });
        row += list.length;
      }
    }
    const classifier = new CompiledClassifier({
      labels: header.labels,
      templates: header.templates,
      weights: { rows: header.labels.length, cols: dim, data: classWeights },
      descriptors,
      ...(header.descriptorTemplate ? { descriptorTemplate: header.descriptorTemplate } : {}),
      fingerprint: header.fingerprint,
      model: header.model,
      created: header.created,
    });
    if (expectedFingerprint !== undefined) classifier.assertModel(expectedFingerprint);
    return classifier;
  }
}
