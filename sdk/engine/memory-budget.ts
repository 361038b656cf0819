/**
 * How much memory an encoder needs in a WebAssembly isolate, estimated from its ONNX file before
 * ONNX Runtime sees it, so that a model that cannot fit is refused with a typed error naming what
 * it would need, instead of growing the isolate past its limit (a Cloudflare Worker's 128 MB: the
 * runtime ends the isolate, and every request in it, without an answer).
 *
 * What an encoder costs an isolate, from the file (onnx-summary.ts) and its input shape. ONNX
 * Runtime's wasm memory grows to its high-water mark and never shrinks; it reaches it either while
 * the session is created or while it runs, and memory freed after creation is reused by the run:
 * - its own start, {@link ORT_WASM_INITIAL_BYTES} (once per isolate);
 * - then the larger of
 *   - creation: {@link SESSION_COPIES} copies of the file at once (the bytes copied into wasm
 *     memory, the protobuf parsed from them, the tensors built from that);
 *   - a run: {@link RESIDENT_COPIES} copies of the file (the weights, and the packed copies
 *     kernels make of them) plus the activations: {@link LIVE_ACTIVATIONS} times the largest
 *     tensor the graph computes (activation-size.ts), 4 bytes per element (a node's inputs and
 *     output, a residual kept for later, a kernel's scratch);
 *   and in both, float32 copies of float16 weights (+2 bytes per float16 byte): the wasm CPU
 *   kernels have no float16 Conv or MatMul, so the runtime casts the weights once at load;
 * - the file's bytes in JavaScript while they are handed to the runtime (a bundled model's Data
 *   module stays for the isolate's life; bytes read from R2 become garbage after), or a request's
 *   memory (`MemoryBudget.requestBytes`), whichever is larger: they are not held at once.
 * Measured with onnxruntime-web 1.30 in Node (`npm run bench:edge-variants`, "ORT wasm memory"):
 * MobileCLIP-S0 fp32 130 MiB (estimate 146), fp16 110 (124), int8 44 (56), int8w 52 (56); ViT-B/32
 * q8 207 (288); and inside workerd by `npm run bench:edge` (bench/results/edge-models.md). ONNX
 * Runtime's session options (no memory arena, no memory pattern, no prepacking, basic or no graph
 * optimisation) left these high-water marks unchanged (ViT-B/32 q8 and MobileCLIP-S0 int8w), so the
 * budget sets none of them.
 * A {@link MemoryLedger} adds the encoders of one model up, so the second pays for the first.
 */
import { ModelLoadError } from '../errors.js';
import { activationSize } from './activation-size.js';
import { type OnnxSummary, readOnnxSummary } from './onnx-summary.js';
import type { ModelFiles } from './source.js';
import type { EncoderModelFile } from './towers.js';

/** onnxruntime-web 1.30's wasm memory before any session (Emscripten's INITIAL_MEMORY, 16 MiB). */
export const ORT_WASM_INITIAL_BYTES = 16 * 2 ** 20;
/** Copies of the ONNX file ONNX Runtime holds at once while it creates a session (see header). */
export const SESSION_COPIES = 3;
/** Copies of the ONNX file ONNX Runtime keeps while a session runs (see header). */
export const RESIDENT_COPIES = 2;
/** Tensors as large as the largest activation that are alive at once (see header). */
export const LIVE_ACTIVATIONS = 4;

const FLOAT16 = 10;

/** How much memory models may take, for `LoadOptions.memoryBudget`. */
export interface MemoryBudget {
  /** Everything the isolate may use (a Worker: 128 MB). */
  limitBytes: number;
  /**
   * What the host holds besides the model at all times: its own code and heap, the image
   * decoders' memories (a Worker's: see worker/service/memory-budget.ts).
   */
  reservedBytes?: number;
  /**
   * What a request holds while it runs (its body and decoded image). It and the encoder file's
   * bytes in JavaScript are not held at once: the file is handed over while the encoder loads and
   * is garbage by the time a request decodes, so the larger of the two counts.
   */
  requestBytes?: number;
  /** Most images one vision-encoder run holds (activations scale with it); default 1. */
  imagesPerRun?: number;
}

/** What an encoder is estimated to need, by part. */
export interface EncoderMemory {
  fileBytes: number;
  /** ONNX Runtime's wasm memory this encoder adds (its own start included for the first one). */
  onnxRuntimeBytes: number;
  activationBytes: number;
  /** The largest activation, for messages: its dims and operator. */
  largestActivation: string | undefined;
  float16Bytes: number;
  /** onnxRuntimeBytes plus the file's bytes in JavaScript. */
  totalBytes: number;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * The estimate for one encoder from its summary and input shapes (see header); without
 * `inputShapes`, activations are not counted (a text encoder's depend on the prompts of each run).
 */
export function estimateEncoderMemory(
  summary: OnnxSummary,
  fileBytes: number,
  inputShapes: Record<string, number[]> | undefined,
  firstInRuntime: boolean,
): EncoderMemory {
  // Tensors after an operator the walk cannot size (a control-flow If, say) are not counted: the
  // estimate is then of the tensors before it, and the message names the operators it stopped at.
  const activations = inputShapes ? activationSize(summary, inputShapes) : undefined;
  const activationBytes = LIVE_ACTIVATIONS * 4 * (activations?.largestElements ?? 0);
  const float16Bytes = summary.weightBytes.get(FLOAT16) ?? 0;
  const onnxRuntimeBytes =
    (firstInRuntime ? ORT_WASM_INITIAL_BYTES : 0) +
    Math.max(SESSION_COPIES * fileBytes, RESIDENT_COPIES * fileBytes + activationBytes) +
    2 * float16Bytes;
  const where = activations?.largest;
  const stopped = activations?.unknownOps.length
    ? ` (not sized past ${activations.unknownOps.join(', ')})`
    : '';
  return {
    fileBytes,
    onnxRuntimeBytes,
    activationBytes,
    largestActivation: where ? `${where.dims.join('×')} from ${where.op}${stopped}` : undefined,
    float16Bytes,
    totalBytes: onnxRuntimeBytes + fileBytes,
  };
}

/** Adds up what the encoders of one model take, against one budget. */
export class MemoryLedger {
  readonly #limit: number;
  readonly #reserved: number;
  readonly #request: number;
  /** What each admitted encoder holds in ONNX Runtime, by path (a retried load replaces its entry). */
  readonly #admitted = new Map<string, number>();
  /** Refusals by path, with the size of the file refused: the same file is refused again unread. */
  readonly #refused = new Map<string, { fileBytes: number; error: ModelLoadError }>();

  constructor(budget: MemoryBudget) {
    this.#limit = budget.limitBytes;
    this.#reserved = budget.reservedBytes ?? 0;
    this.#request = budget.requestBytes ?? 0;
  }

  /** Whether an encoder was admitted already (ONNX Runtime's own start is then paid). */
  get runtimeStarted(): boolean {
    return this.#admitted.size > 0;
  }

  /** Bytes left for models and requests (for `path`: what the other encoders leave). */
  availableBytes(path?: string): number {
    let committed = 0;
    for (const [other, bytes] of this.#admitted) if (other !== path) committed += bytes;
    return this.#limit - this.#reserved - committed;
  }

  /** What an encoder needs of {@link availableBytes}: its runtime memory, and the larger of its file and a request. */
  #need(onnxRuntimeBytes: number, fileBytes: number): number {
    return onnxRuntimeBytes + Math.max(fileBytes, this.#request);
  }

  /**
   * Refuse `path` from its size alone, before it is read, when even the file's copies would not
   * fit (a 350 MB encoder is not downloaded into a 128 MB isolate to be measured), or when this
   * same file was refused before.
   */
  checkSize(path: string, fileBytes: number): void {
    const refused = this.#refused.get(path);
    if (refused?.fileBytes === fileBytes) throw refused.error;
    const lowest = this.#need(
      (this.runtimeStarted ? 0 : ORT_WASM_INITIAL_BYTES) + SESSION_COPIES * fileBytes,
      fileBytes,
    );
    if (lowest > this.availableBytes(path)) {
      this.#refuse(
        path,
        lowest,
        `${SESSION_COPIES} copies of the file in ONNX Runtime, and its bytes in JavaScript or a request, at least`,
        fileBytes,
      );
    }
  }

  /** Admit an encoder, or refuse it with ModelLoadError `model_too_large`. */
  admit(path: string, estimate: EncoderMemory): void {
    const need = this.#need(estimate.onnxRuntimeBytes, estimate.fileBytes);
    if (need > this.availableBytes(path)) {
      const parts = [
        `ONNX Runtime ${mib(estimate.onnxRuntimeBytes)}: ${SESSION_COPIES} copies of the file while it creates the session`,
        estimate.float16Bytes ? ', float32 copies of its float16 weights' : '',
        estimate.largestActivation
          ? `, or ${RESIDENT_COPIES} while it runs with ${mib(estimate.activationBytes)} of activations (the largest ${estimate.largestActivation})`
          : '',
        this.runtimeStarted ? '' : `, ${mib(ORT_WASM_INITIAL_BYTES)} of its own`,
        this.#request > estimate.fileBytes
          ? `; a request's ${mib(this.#request)}`
          : `; the file's ${mib(estimate.fileBytes)} in JavaScript while it is handed over`,
      ];
      this.#refuse(path, need, parts.join(''), estimate.fileBytes, estimate);
    }
    this.#refused.delete(path);
    this.#admitted.set(path, estimate.onnxRuntimeBytes);
  }

  #refuse(path: string, need: number, why: string, fileBytes: number, estimate?: EncoderMemory): never {
    const available = Math.max(0, this.availableBytes(path));
    const committed = this.#limit - this.#reserved - this.availableBytes(path);
    const held = committed ? `, ${mib(committed)} held by encoders already loaded` : '';
    const error = new ModelLoadError(
      'model_too_large',
      `${path} (${mib(fileBytes)}) needs about ${mib(need)} (${why}), more than the ${mib(available)} ` +
        `available (${mib(this.#limit)} less ${mib(this.#reserved)} reserved${held}): use a smaller variant of the ` +
        `model (int8 weights: dtype 'int8w' or 'int8'), accept smaller images, or allow more memory`,
      {
        details: {
          path,
          fileBytes,
          needBytes: need,
          availableBytes: available,
          limitBytes: this.#limit,
          reservedBytes: this.#reserved,
          requestBytes: this.#request,
          ...(estimate
            ? { onnxRuntimeBytes: estimate.onnxRuntimeBytes, activationBytes: estimate.activationBytes }
            : {}),
        },
      },
    );
    this.#refused.set(path, { fileBytes, error });
    throw error;
  }
}

/** What an encoder file must be for the model's other files, checked when it is read. */
export interface EncoderContract {
  /** Shapes to size activations with (dynamic dimensions filled in); none: activations not counted. */
  inputShapes?: Record<string, number[]>;
  /** Input whose declared fixed dimensions must equal `inputShapes` (pixel_values: the crop size). */
  checkedInput?: string;
  /** What the other files say it takes, for the message. */
  source?: string;
}

/**
 * An encoder file (`file`, default: `path` read from `files`) read through `ledger`: refused by size before it
 * is read when it cannot fit, then sized from its content before it is handed to the runtime, and
 * checked against `contract` (a vision encoder for another input size than
 * preprocessor_config.json says is another model's). External data (onnx-files.ts) counts as part
 * of the file: the runtime copies it as it copies the graph.
 */
export function budgetedModelFile(
  files: ModelFiles,
  path: string,
  ledger: MemoryLedger,
  contract: EncoderContract,
  file: EncoderModelFile = { bytes: () => files.read(path) },
): EncoderModelFile {
  // The towers read external data before the graph (towers.ts): its bytes are known by then.
  let externalBytes = 0;
  return {
    async bytes() {
      const size = await files.size?.(path);
      if (size !== undefined) ledger.checkSize(path, size + externalBytes);
      const bytes = await file.bytes();
      const summary = readOnnxSummary(bytes, path);
      assertContract(summary, path, contract);
      const estimate = estimateEncoderMemory(
        summary,
        bytes.byteLength + externalBytes,
        contract.inputShapes,
        !ledger.runtimeStarted,
      );
      ledger.admit(path, estimate);
      return bytes;
    },
    // No local path: a budget is for runtimes that load models from bytes.
    localPath: async () => undefined,
    ...(file.externalData
      ? {
          async externalData() {
            const data = await file.externalData!();
            externalBytes = data.reduce((sum, part) => sum + part.data.byteLength, 0);
            return data;
          },
        }
      : {}),
  };
}

function assertContract(summary: OnnxSummary, path: string, contract: EncoderContract): void {
  const name = contract.checkedInput;
  if (!name) return;
  const declared = summary.inputs.find((input) => input.name === name);
  const expected = contract.inputShapes?.[name];
  if (!declared) {
    throw new ModelLoadError(
      'model_config_invalid',
      `${path} has no input ${name} (its inputs: ${summary.inputs.map((i) => i.name).join(', ')}): it is not this kind of encoder`,
      { details: { path } },
    );
  }
  const mismatch =
    expected && declared.dims?.some((d, i) => typeof d === 'number' && i > 0 && d !== expected[i]);
  if (mismatch || (expected && declared.dims && declared.dims.length !== expected.length)) {
    const shown = (declared.dims ?? []).map((d) => (typeof d === 'number' ? d : '?')).join('×');
    throw new ModelLoadError(
      'model_config_invalid',
      `${path} takes ${name} of ${shown}, but ${contract.source ?? 'the model files'} says ${expected!.slice(1).join('×')}: ` +
        'the encoder and the configuration are of different models',
      { details: { path, declared: declared.dims, expected } },
    );
  }
}
