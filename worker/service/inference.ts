/**
 * The engine as routes use it: every heavy call goes through the app's {@link InferenceGate}, and
 * a request's images are checked against the pixel budget from their headers, then decoded and
 * encoded one at a time (ONNX Runtime's wasm heap grows to fit the largest batch it has run and
 * never shrinks, so one image per run also bounds that), their embeddings stacked in order.
 */
import type { ClassifierSpec, CompiledClassifier, ImageBackground, Matrix } from 'descry';
import { assertPixelBudget, type RequestImage } from '../http/request/images.js';
import type { ServiceLimits } from './config.js';
import type { ClassificationEngine } from './deps.js';
import type { InferenceGate } from './inference-gate.js';

/** Options of {@link Inference.embedImages}. */
export interface EmbedRequestImagesOptions {
  /** What transparent pixels become (the SDK's default, white, when absent). */
  background?: ImageBackground | undefined;
  /** The request's signal: a client that went away stops the remaining units. */
  signal?: AbortSignal | undefined;
}

/** Rows of several matrices of one width, stacked in order. */
function stack(parts: readonly Matrix[]): Matrix {
  const cols = parts[0]?.cols ?? 0;
  const rows = parts.reduce((n, part) => n + part.rows, 0);
  const data = new Float32Array(rows * cols);
  let offset = 0;
  for (const part of parts) {
    data.set(part.data, offset);
    offset += part.data.length;
  }
  return { rows, cols, data };
}

/** Gated access to the engine for one app. */
export class Inference {
  readonly #engine: () => Promise<ClassificationEngine>;
  readonly #gate: InferenceGate;
  readonly #limits: ServiceLimits;

  constructor(engine: () => Promise<ClassificationEngine>, gate: InferenceGate, limits: ServiceLimits) {
    this.#engine = engine;
    this.#gate = gate;
    this.#limits = limits;
  }

  /** The engine itself, for the cheap calls (scoring, loading classifiers, model info). */
  engine(): Promise<ClassificationEngine> {
    return this.#engine();
  }

  /** L2-normalised embeddings of `images`, in order; refuses the request first if it is over the pixel budget. */
  async embedImages(
    images: readonly RequestImage[],
    options: EmbedRequestImagesOptions = {},
  ): Promise<Matrix> {
    const engine = await this.#engine();
    assertPixelBudget(images, this.#limits, (bytes) => engine.probe(bytes));
    const embedOptions = options.background === undefined ? {} : { background: options.background };
    const parts: Matrix[] = [];
    for (const image of images) {
      parts.push(await this.#gate.run(() => engine.embedImages([image.bytes], embedOptions), options.signal));
    }
    return stack(parts);
  }

  /** `engine.compile(spec)` as one unit. */
  async compile(spec: ClassifierSpec, signal?: AbortSignal): Promise<CompiledClassifier> {
    const engine = await this.#engine();
    return this.#gate.run(() => engine.compile(spec), signal);
  }

  /** `engine.embedTexts(texts)` as one unit. */
  async embedTexts(texts: readonly string[], signal?: AbortSignal): Promise<Matrix> {
    const engine = await this.#engine();
    return this.#gate.run(() => engine.embedTexts(texts), signal);
  }
}
