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

/** One descriptor and how strongly the image matched it. */
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
  /** Descriptors that support the label, strongest first (description-based methods). */
  evidence?: Evidence[];
}

/** Why a result was produced by a weaker method than asked for. */
export interface Degradation {
  requested: ClassificationMethod;
  used: ClassificationMethod;
  reason: string;
}

/** The ranked answer for one image. */
export interface ClassificationResult {
  predictions: Prediction[];
  degraded?: Degradation;
}

/** How a class score is pooled over its descriptors. */
export type DescriptorAggregation = 'mean' | 'max' | 'sum';

/** Descriptors per class name. */
export type DescriptorMap = Record<string, string[]>;
