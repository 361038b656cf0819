/**
 * A compiled classifier: a label set, its templates, descriptors and subclasses, turned once into
 * text embeddings, and optionally a conformal calibration fitted on its scores. Classifying with
 * one needs only the vision encoder, so an edge deployment never loads the text encoder or the
 * tokenizer.
 */
import { ModelMismatchError } from '../errors.js';
import type { DescriptorMap, Matrix } from '../types.js';
import {
  type CalibratedPredictor,
  type ClassifierCalibration,
  embeddingsFingerprint,
} from './calibration.js';
import { type ClassifierHeader, decodeClassifier, encodeClassifier, type StoredDtype } from './format.js';

/** Descriptor prompts of one class with their embeddings. */
export interface ClassDescriptors {
  descriptors: string[];
  /** descriptors.length × dim, L2-normalised rows. */
  embeddings: Matrix;
}

/** The subclasses of one label (CHiLS) with their embeddings. */
export interface ClassSubclasses {
  /** Subclass texts; empty for a label scored by its own name. */
  subclasses: string[];
  /** subclasses.length × dim, L2-normalised rows: each subclass's template ensemble. */
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
  /** Subclasses per label (same order as `labels`); empty when compiled without. */
  readonly subclasses: readonly ClassSubclasses[];
  /** Templates the subclass ensembles were made with; undefined without subclasses. */
  readonly subclassTemplates: readonly string[] | undefined;
  /** A conformal calibration fitted on this classifier's scores (see classifier/calibrate.ts). */
  readonly calibration: ClassifierCalibration | undefined;
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
    subclasses?: readonly ClassSubclasses[];
    subclassTemplates?: readonly string[];
    calibration?: ClassifierCalibration;
    fingerprint: string;
    model: string;
    created?: string;
  }) {
    this.labels = init.labels;
    this.templates = init.templates;
    this.weights = init.weights;
    this.descriptors = init.descriptors ?? [];
    this.descriptorTemplate = init.descriptorTemplate;
    this.subclasses = init.subclasses ?? [];
    if (this.subclasses.length !== 0 && this.subclasses.length !== this.labels.length) {
      throw new ModelMismatchError(
        'classifier_format_invalid',
        `${this.subclasses.length} subclass lists for ${this.labels.length} labels`,
      );
    }
    this.subclassTemplates = this.subclasses.length ? (init.subclassTemplates ?? this.templates) : undefined;
    this.fingerprint = init.fingerprint;
    this.model = init.model;
    this.created = init.created ?? new Date().toISOString();
    if (init.calibration) this.assertCalibration(init.calibration);
    this.calibration = init.calibration;
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

  /** Whether subclasses were compiled in (at least one label has some). */
  get hasSubclasses(): boolean {
    return this.subclasses.some((s) => s.subclasses.length > 0);
  }

  /** The subclass map this classifier was compiled with (labels without subclasses left out). */
  get subclassMap(): Record<string, string[]> | undefined {
    if (!this.hasSubclasses) return undefined;
    const map: Record<string, string[]> = {};
    this.labels.forEach((label, i) => {
      const list = this.subclasses[i]!.subclasses;
      // defineProperty: a label may be "__proto__", which plain assignment would not store.
      if (list.length)
        Object.defineProperty(map, label, { value: [...list], enumerable: true, writable: true });
    });
    return map;
  }

  /**
   * The fingerprint a calibration of `predictor` must carry on this classifier: the embeddings
   * that predictor reads, rounded to float16 (classifier/calibration.ts).
   */
  calibrationFingerprint(predictor: CalibratedPredictor): number {
    const blocks: Matrix[] = [this.weights];
    if (predictor.method === 'descriptions') blocks.push(...this.descriptors.map((d) => d.embeddings));
    if (predictor.method === 'subclasses') blocks.push(...this.subclasses.map((s) => s.embeddings));
    return embeddingsFingerprint(blocks);
  }

  /** Throws ModelMismatchError('model_mismatch') unless `calibration` was fitted on these embeddings. */
  assertCalibration(calibration: ClassifierCalibration): void {
    const expected = this.calibrationFingerprint(calibration.predictor);
    if (calibration.weightsFingerprint !== expected) {
      throw new ModelMismatchError(
        'model_mismatch',
        `the calibration was fitted on other ${calibration.predictor.method} weights than this classifier's; calibrate this classifier again`,
        { details: { expected, found: calibration.weightsFingerprint } },
      );
    }
  }

  /** This classifier with `calibration` attached (checked to fit), or removed with undefined. */
  withCalibration(calibration: ClassifierCalibration | undefined): CompiledClassifier {
    const { calibration: _, ...rest } = this.#init();
    return new CompiledClassifier(calibration ? { ...rest, calibration } : rest);
  }

  /**
   * This classifier with subclasses per label (one entry per label, empty for none). A
   * calibration that no longer fits (one of subclass scores) is dropped.
   */
  withSubclasses(
    subclasses: readonly ClassSubclasses[],
    subclassTemplates: readonly string[],
  ): CompiledClassifier {
    const { calibration, ...rest } = this.#init();
    const next = new CompiledClassifier({ ...rest, subclasses, subclassTemplates });
    if (
      !calibration ||
      calibration.weightsFingerprint !== next.calibrationFingerprint(calibration.predictor)
    ) {
      return next;
    }
    return next.withCalibration(calibration);
  }

  #init(): ConstructorParameters<typeof CompiledClassifier>[0] {
    return {
      labels: this.labels,
      templates: this.templates,
      weights: this.weights,
      descriptors: this.descriptors,
      ...(this.descriptorTemplate ? { descriptorTemplate: this.descriptorTemplate } : {}),
      subclasses: this.subclasses,
      ...(this.subclassTemplates ? { subclassTemplates: this.subclassTemplates } : {}),
      ...(this.calibration ? { calibration: this.calibration } : {}),
      fingerprint: this.fingerprint,
      model: this.model,
      created: this.created,
    };
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
    const descriptorEmbeddings = stack(
      this.descriptors.map((d) => d.embeddings),
      descriptorRows * dim,
    );
    const subclassRows = this.subclasses.reduce((n, s) => n + s.embeddings.rows, 0);
    const subclassEmbeddings = stack(
      this.subclasses.map((s) => s.embeddings),
      subclassRows * dim,
    );
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
    const subclasses = this.subclassMap;
    if (subclasses) {
      header.subclasses = subclasses;
      header.subclassTemplates = [...(this.subclassTemplates ?? this.templates)];
    }
    if (this.calibration) header.calibration = this.calibration;
    return encodeClassifier(
      { header, classWeights: this.weights.data, descriptorEmbeddings, subclassEmbeddings },
      dtype,
    );
  }

  /**
   * Load a serialised classifier. With `expectedFingerprint`, a classifier compiled for another
   * model is refused with ModelMismatchError('model_mismatch'); a calibration that does not fit
   * the stored embeddings likewise.
   */
  static fromBytes(bytes: Uint8Array, expectedFingerprint?: string): CompiledClassifier {
    const { header, classWeights, descriptorEmbeddings, subclassEmbeddings } = decodeClassifier(bytes);
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
    const subclasses: ClassSubclasses[] = [];
    if (header.subclasses) {
      let row = 0;
      for (const label of header.labels) {
        const list = (Object.hasOwn(header.subclasses, label) ? header.subclasses[label] : undefined) ?? [];
        subclasses.push({
          subclasses: list,
          embeddings: {
            rows: list.length,
            cols: dim,
            data: (subclassEmbeddings ?? new Float32Array()).slice(row * dim, (row + list.length) * dim),
          },
        });
        row += list.length;
      }
    }
    const init = {
      labels: header.labels,
      templates: header.templates,
      weights: { rows: header.labels.length, cols: dim, data: classWeights },
      descriptors,
      ...(header.descriptorTemplate ? { descriptorTemplate: header.descriptorTemplate } : {}),
      subclasses,
      ...(header.subclassTemplates ? { subclassTemplates: header.subclassTemplates } : {}),
      fingerprint: header.fingerprint,
      model: header.model,
      created: header.created,
    };
    // The model check comes first: a calibration of another model's classifier is that mismatch.
    const classifier = new CompiledClassifier(init);
    if (expectedFingerprint !== undefined) classifier.assertModel(expectedFingerprint);
    return header.calibration ? classifier.withCalibration(header.calibration) : classifier;
  }
}

/** Concatenates the data of `blocks` into one array of `length` values. */
function stack(blocks: readonly Matrix[], length: number): Float32Array {
  const out = new Float32Array(length);
  let offset = 0;
  for (const block of blocks) {
    out.set(block.data, offset);
    offset += block.data.length;
  }
  return out;
}
