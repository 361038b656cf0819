/**
 * Public data types shared by the SDK, the predictors and the HTTP worker.
 * Types only: no runtime code lives here.
 */
import type { ClassificationMethod } from './methods/table.js';

/** The classification methods Descry implements: the keys of the method table (methods/table.ts). */
export type { ClassificationMethod };

/** Raw RGBA pixels, 8 bits per channel, row-major, `data.length === width * height * 4`. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/**
 * Anything Descry accepts as an image: encoded bytes (PNG, JPEG, WebP) as a Blob, ArrayBuffer
 * or Uint8Array; a URL (http(s) or data:, Node and browser); or decoded RGBA pixels.
 */
export type ImageInput = Blob | ArrayBuffer | Uint8Array | URL | string | RgbaImage;

/** Row-major dense matrix of float32 values. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

/**
 * One descriptor (classification by description) or subclass (method 'subclasses') and how
 * strongly the image matched it.
 */
export interface Evidence {
  descriptor: string;
  cosine: number;
}

/** One ranked label for one image. */
export interface Prediction {
  label: string;
  /** Probability (softmax, or sigmoid for SigLIP) unless the method says otherwise. */
  score: number;
  /** Cosine similarity between the image and the class embedding. */
  cosine: number;
  /** Logit (logit scale × cosine, plus bias for SigLIP, plus method corrections). */
  logit: number;
  /**
   * What supports the label, strongest first: its descriptors (method 'descriptions') or its
   * subclasses (method 'subclasses': the first is the subclass that matched).
   */
  evidence?: Evidence[];
}

/** Why a result was produced by a weaker method than asked for. */
export interface Degradation {
  requested: ClassificationMethod;
  used: ClassificationMethod;
  reason: string;
}

/**
 * A conformal prediction set: the labels the image may be, which hold its true label with
 * probability at least 1 − `alpha` over images like the calibration images (split conformal
 * prediction, sdk/predictors/conformal.ts), and whether to abstain.
 */
export interface LabelSet {
  /** Labels in the set, best first (computed on every label's score, before `topK`). */
  labels: string[];
  /**
   * True when the set is empty, when the image's confidence is below the calibrated "none of
   * these" threshold, or when the set holds more than `maxSetSize` labels.
   */
  abstain: boolean;
  /** Why it abstains. */
  reason?: 'empty' | 'none_of_these' | 'too_large';
  /** The calibration's α: the set misses the true label at most this often. */
  alpha: number;
}

/** The ranked answer for one image. */
export interface ClassificationResult {
  predictions: Prediction[];
  degraded?: Degradation;
  /**
   * The conformal prediction set, when the classifier carries a calibration fitted for the
   * method (and its options) that scored this image (`Descry.calibrate`).
   */
  set?: LabelSet;
}

/** How a class score is pooled over its descriptors. */
export type DescriptorAggregation = 'mean' | 'max' | 'sum';

/** Descriptors per class name. */
export type DescriptorMap = Record<string, string[]>;
