/**
 * The model's two towers: thin adapters from prompts and pixels to L2-normalised embeddings. Each
 * owns one ONNX session, created on first use, so a deployment that only classifies with compiled
 * classifiers never reads the text model or the tokenizer.
 *
 * Text batches are formed after sorting prompts by token count (rows come back in input order):
 * CLIP pads a batch to its longest prompt, so batches of similar lengths encode fewer pad tokens;
 * on 1000 emoji labels this is 1.4-1.5x faster (`npm run bench:real`, "compile").
 */
import { ModelLoadError } from '../errors.js';
import { normalizeRows } from '../math/matrix.js';
import type { PromptTokenizer } from '../text/tokenizer.js';
import type { Matrix } from '../types.js';
import type { ExternalDataFile, OnnxBackend, OnnxSession, TensorData } from './backend.js';
import { type LazyValue, lazyValue } from './lazy-value.js';
import { encoderGraphPath, type ModelDtype } from './onnx-files.js';
import { type BatchingOptions, batchedRun, type PixelRun } from './run-batcher.js';

export type { ModelDtype };

/** Path of an encoder's ONNX file for a dtype, in the transformers.js layout (see onnx-files.ts). */
export function onnxPath(part: 'text' | 'vision', dtype: ModelDtype): string {
  return encoderGraphPath(part, dtype);
}

/** Where an encoder's ONNX file comes from. */
export interface EncoderModelFile {
  bytes(): Promise<Uint8Array>;
  /** Its path on the local disk, if it has one (see `ModelFiles.localPath`), with its external data beside it. */
  localPath?(): Promise<string | undefined>;
  /** Its external data (onnx-files.ts), for a graph loaded from bytes. */
  externalData?(): Promise<ExternalDataFile[]>;
}

/**
 * An ONNX session created on first use. A backend that opens files gets the path when there is one,
 * so the model is never copied into JavaScript memory; otherwise the bytes are read, handed over
 * and not kept.
 */
function lazySession(backend: () => Promise<OnnxBackend>, file: EncoderModelFile): LazyValue<OnnxSession> {
  return lazyValue(async () => {
    const chosen = await backend();
    const path = chosen.opensFiles ? await file.localPath?.() : undefined;
    if (path !== undefined) return chosen.createSession({ path }); // external data is found beside it
    const externalData = await file.externalData?.();
    return chosen.createSession(await file.bytes(), externalData?.length ? { externalData } : undefined);
  });
}

/** The embedding output: the first of the family's names (family.ts `outputs`) the graph has. */
function embeddingOutput(session: OnnxSession, names: readonly string[]): string {
  const name = names.find((candidate) => session.outputNames.includes(candidate));
  if (name !== undefined) return name;
  throw new ModelLoadError(
    'model_load_failed',
    `the ONNX model has none of ${names.join(', ')} among its outputs (${session.outputNames.join(', ')})`,
  );
}

/** Run `session` and return its embedding output only (other outputs are not copied out). */
async function runEmbedding(
  session: OnnxSession,
  feeds: Record<string, TensorData>,
  names: readonly string[],
): Promise<TensorData> {
  const name = embeddingOutput(session, names);
  const tensor = (await session.run(feeds, [name]))[name];
  if (!tensor) throw new ModelLoadError('model_load_failed', `the ONNX model returned no ${name}`);
  return tensor;
}

function toMatrix(tensor: TensorData): Matrix {
  const rows = tensor.dims[0] ?? 0;
  const cols = tensor.dims[tensor.dims.length - 1] ?? 0;
  // normalizeRows writes a new matrix, so ORT's output buffer is read once and never kept.
  return normalizeRows({ rows, cols, data: tensor.data as Float32Array });
}

/** Text prompts to normalised embeddings. */
export class TextTower {
  readonly #session: LazyValue<OnnxSession>;
  readonly #tokenizer: () => Promise<PromptTokenizer>;
  readonly #batchSize: number;
  readonly #outputs: readonly string[];

  constructor(options: {
    backend: () => Promise<OnnxBackend>;
    model: EncoderModelFile;
    tokenizer: () => Promise<PromptTokenizer>;
    /** Output names holding the embedding, in order of preference. */
    outputs: readonly string[];
    batchSize?: number;
  }) {
    this.#session = lazySession(options.backend, options.model);
    this.#tokenizer = options.tokenizer;
    this.#batchSize = options.batchSize ?? 128;
    this.#outputs = options.outputs;
  }

  /** Whether the text model has been loaded. */
  get loaded(): boolean {
    return this.#session.started;
  }

  /** Tokens the tower would process for `texts` (reads only the tokenizer, not the model). */
  async tokenCost(texts: readonly string[]): Promise<number> {
    const tokenizer = await this.#tokenizer();
    return texts.reduce((sum, text) => sum + tokenizer.cost(text), 0);
  }

  /** Embed texts; rows are L2-normalised, in input order. */
  async embed(texts: readonly string[]): Promise<Matrix> {
    const [session, tokenizer] = await Promise.all([this.#session.get(), this.#tokenizer()]);
    // A graph exported for one sequence length (MobileCLIP: 77, no attention mask) gets exactly that.
    const declared = session.inputShapes?.input_ids?.[1];
    const fixedLength = typeof declared === 'number' && declared > 0 ? declared : undefined;
    const ids = texts.map((text) => tokenizer.encode(text));
    // Stable: prompts of equal length keep their input order, so batches are deterministic.
    const order = ids.map((_, i) => i).sort((a, b) => ids[a]!.length - ids[b]!.length);
    let result: Matrix | undefined;
    for (let start = 0; start < order.length; start += this.#batchSize) {
      const rows = order.slice(start, start + this.#batchSize);
      const tokens = tokenizer.pad(
        rows.map((i) => ids[i]!),
        fixedLength,
      );
      const dims = [tokens.batch, tokens.length];
      const feeds: Record<string, TensorData> = {
        input_ids: { type: 'int64', data: tokens.inputIds, dims },
      };
      if (session.inputNames.includes('attention_mask')) {
        feeds.attention_mask = { type: 'int64', data: tokens.attentionMask, dims };
      }
      const part = toMatrix(await runEmbedding(session, feeds, this.#outputs));
      result ??= { rows: texts.length, cols: part.cols, data: new Float32Array(texts.length * part.cols) };
      rows.forEach((row, i) => {
        result!.data.set(part.data.subarray(i * part.cols, (i + 1) * part.cols), row * part.cols);
      });
    }
    return result ?? { rows: 0, cols: 0, data: new Float32Array() };
  }
}

/** Preprocessed pixel batches to normalised embeddings. */
export class VisionTower {
  readonly #session: LazyValue<OnnxSession>;
  readonly #run: PixelRun;

  constructor(options: {
    backend: () => Promise<OnnxBackend>;
    model: EncoderModelFile;
    /** Output names holding the embedding, in order of preference. */
    outputs: readonly string[];
    /** Join concurrent calls into shared runs (see run-batcher.ts); default: every call runs alone. */
    batching?: BatchingOptions;
  }) {
    this.#session = lazySession(options.backend, options.model);
    const run: PixelRun = async (pixels, dims) => {
      const session = await this.#session.get();
      const feeds = { pixel_values: { type: 'float32' as const, data: pixels, dims } };
      return toMatrix(await runEmbedding(session, feeds, options.outputs));
    };
    this.#run = options.batching ? batchedRun(run, options.batching) : run;
  }

  /** Whether the vision model has been loaded. */
  get loaded(): boolean {
    return this.#session.started;
  }

  /** Embed an [N, 3, H, W] float32 batch; rows are L2-normalised. */
  embed(pixels: Float32Array, dims: readonly [number, number, number, number]): Promise<Matrix> {
    return this.#run(pixels, dims);
  }
}
