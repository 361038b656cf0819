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

/** Which ONNX export of a model to load, as hub repositories name them. */
export type ModelDtype = 'fp32' | 'fp16' | 'quantized' | 'q8' | 'int8' | 'uint8' | 'q4' | 'q4f16' | 'bnb4';

/** Path of an encoder's ONNX file for a dtype, in the transformers.js layout. */
export function onnxPath(part: 'text' | 'vision', dtype: ModelDtype): string {
  const suffix = dtype === 'fp32' ? '' : `_${dtype}`;
  return `onnx/${part}_model${suffix}.onnx`;
}

/** Runs a session once, created lazily and shared by concurrent first callers. */
class LazySession {
  #session: Promise<OnnxSession> | undefined;
  constructor(
    private readonly backend: () => Promise<OnnxBackend>,
    private readonly bytes: () => Promise<Uint8Array>,
  ) {}

  get loaded(): boolean {
    return this.#session !== undefined;
  }

  get(): Promise<OnnxSession> {
    this.#session ??= (async () => (await this.backend()).createSession(await this.bytes()))();
    this.#session.catch(() => {
      this.#session = undefined; // let a later call retry a failed load
    });
    return this.#session;
  }
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
  return normalizeRows({ rows, cols, data: Float32Array.from(tensor.data as Float32Array) });
}

/** Text prompts to normalised embeddings. */
export class TextEncoder {
  readonly #session: LazySession;
  readonly #tokenizer: () => Promise<PromptTokenizer>;
  readonly #batchSize: number;

  constructor(options: {
    backend: () => Promise<OnnxBackend>;
    model: () => Promise<Uint8Array>;
    tokenizer: () => Promise<PromptTokenizer>;
    batchSize?: number;
  }) {
    this.#session = new LazySession(options.backend, options.model);
    this.#tokenizer = options.tokenizer;
    this.#batchSize = options.batchSize ?? 128;
  }

  /** Whether the text model has been loaded. */
  get loaded(): boolean {
    return this.#session.loaded;
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
  readonly #session: LazySession;

  constructor(options: { backend: () => Promise<OnnxBackend>; model: () => Promise<Uint8Array> }) {
    this.#session = new LazySession(options.backend, options.model);
  }

  /** Whether the vision model has been loaded. */
  get loaded(): boolean {
    return this.#session.loaded;
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
