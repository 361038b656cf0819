/**
 * Thin adapters from prompts and pixels to L2-normalised embeddings. Each encoder owns one ONNX
 * session, created on first use, so a deployment that only classifies with compiled classifiers
 * never reads the text model or the tokenizer.
 */
import { ModelLoadError } from '../errors.js';
import { normalizeRows } from '../predictors/matrix.js';
import type { PromptTokenizer } from '../text/tokenizer.js';
import type { Matrix } from '../types.js';
import type { OnnxBackend, OnnxSession, TensorData } from './backend.js';
import { type LazyValue, lazyValue } from './lazy-value.js';

/** Which ONNX export of a model to load, as hub repositories name them. */
export type ModelDtype = 'fp32' | 'fp16' | 'quantized' | 'q8' | 'int8' | 'uint8' | 'q4' | 'q4f16' | 'bnb4';

/** Path of an encoder's ONNX file for a dtype, in the transformers.js layout. */
export function onnxPath(part: 'text' | 'vision', dtype: ModelDtype): string {
  const suffix = dtype === 'fp32' ? '' : `_${dtype}`;
  return `onnx/${part}_model${suffix}.onnx`;
}

/** An ONNX session created on first use from the backend and the model bytes. */
function lazySession(
  backend: () => Promise<OnnxBackend>,
  bytes: () => Promise<Uint8Array>,
): LazyValue<OnnxSession> {
  return lazyValue(async () => (await backend()).createSession(await bytes()));
}

/** Picks the embedding output: CLIP exports name it, SigLIP exports call it pooler_output. */
function embeddingOutput(outputs: Record<string, TensorData>, preferred: string): TensorData {
  const tensor = outputs[preferred] ?? outputs.pooler_output;
  if (!tensor) {
    throw new ModelLoadError(
      'model_load_failed',
      `the ONNX model has neither ${preferred} nor pooler_output among its outputs (${Object.keys(outputs).join(', ')})`,
    );
  }
  return tensor;
}

function toMatrix(tensor: TensorData): Matrix {
  const rows = tensor.dims[0] ?? 0;
  const cols = tensor.dims[tensor.dims.length - 1] ?? 0;
  // normalizeRows writes a new matrix, so ORT's output buffer is read once and never kept.
  return normalizeRows({ rows, cols, data: tensor.data as Float32Array });
}

/** Text prompts to normalised embeddings. */
export class TextEncoder {
  readonly #session: LazyValue<OnnxSession>;
  readonly #tokenizer: () => Promise<PromptTokenizer>;
  readonly #batchSize: number;

  constructor(options: {
    backend: () => Promise<OnnxBackend>;
    model: () => Promise<Uint8Array>;
    tokenizer: () => Promise<PromptTokenizer>;
    batchSize?: number;
  }) {
    this.#session = lazySession(options.backend, options.model);
    this.#tokenizer = options.tokenizer;
    this.#batchSize = options.batchSize ?? 128;
  }

  /** Whether the text model has been loaded. */
  get loaded(): boolean {
    return this.#session.started;
  }

  /** Embed texts; rows are L2-normalised, in input order. */
  async embed(texts: readonly string[]): Promise<Matrix> {
    const [session, tokenizer] = await Promise.all([this.#session.get(), this.#tokenizer()]);
    const parts: Matrix[] = [];
    for (let start = 0; start < texts.length; start += this.#batchSize) {
      const tokens = tokenizer.encodeBatch(texts.slice(start, start + this.#batchSize));
      const dims = [tokens.batch, tokens.length];
      const feeds: Record<string, TensorData> = {
        input_ids: { type: 'int64', data: tokens.inputIds, dims },
      };
      if (session.inputNames.includes('attention_mask')) {
        feeds.attention_mask = { type: 'int64', data: tokens.attentionMask, dims };
      }
      parts.push(toMatrix(embeddingOutput(await session.run(feeds), 'text_embeds')));
    }
    return concatRows(parts);
  }
}

/** Preprocessed pixel batches to normalised embeddings. */
export class VisionEncoder {
  readonly #session: LazyValue<OnnxSession>;

  constructor(options: { backend: () => Promise<OnnxBackend>; model: () => Promise<Uint8Array> }) {
    this.#session = lazySession(options.backend, options.model);
  }

  /** Whether the vision model has been loaded. */
  get loaded(): boolean {
    return this.#session.started;
  }

  /** Embed an [N, 3, H, W] float32 batch; rows are L2-normalised. */
  async embed(pixels: Float32Array, dims: readonly [number, number, number, number]): Promise<Matrix> {
    const session = await this.#session.get();
    const outputs = await session.run({ pixel_values: { type: 'float32', data: pixels, dims } });
    return toMatrix(embeddingOutput(outputs, 'image_embeds'));
  }
}

function concatRows(parts: Matrix[]): Matrix {
  if (parts.length === 1) return parts[0]!;
  const cols = parts[0]?.cols ?? 0;
  const rows = parts.reduce((n, m) => n + m.rows, 0);
  const data = new Float32Array(rows * cols);
  let offset = 0;
  for (const m of parts) {
    data.set(m.data, offset);
    offset += m.data.length;
  }
  return { rows, cols, data };
}
