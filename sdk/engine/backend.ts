/**
 * The one interface the encoders need from an ONNX runtime. onnxruntime-web (wasm, every runtime),
 * onnxruntime-node (native, Node) and the workerd wiring of onnxruntime-web all share
 * onnxruntime-common's session API, so a single adapter (`fromOrt`) serves them all.
 */
import { BackendError } from '../errors.js';

/** Element types the encoders feed and read. */
export type TensorType = 'float32' | 'int64';

/** A tensor as the encoders see it. */
export interface TensorData {
  type: TensorType;
  data: Float32Array | BigInt64Array;
  dims: readonly number[];
}

/** A loaded ONNX graph. */
export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Declared shapes of the inputs, where the runtime reports them: numbers for fixed dimensions,
   * names for dynamic ones (a text encoder exported for exactly 77 tokens says `[batch, 77]`).
   */
  readonly inputShapes?: Readonly<Record<string, readonly (number | string)[]>>;
  /** Run the graph; with `outputs`, only those outputs are copied out. */
  run(feeds: Record<string, TensorData>, outputs?: readonly string[]): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

/**
 * An ONNX file to load: its bytes, or its path on the local disk for a backend that opens files
 * itself (`opensFiles`). A path spares the copy of the file in JavaScript memory that bytes cost: a
 * ViT-B/32 vision model is 350 MB.
 */
export type OnnxModel = Uint8Array | { path: string };

/**
 * Weights a graph keeps outside itself (ONNX external data), by the name the graph gives them
 * (`text_model.onnx_data`): ONNX Runtime needs them handed over when it loads the graph from bytes.
 */
export interface ExternalDataFile {
  path: string;
  data: Uint8Array;
}

/** Creates sessions from model bytes (or paths, when `opensFiles`). */
export interface OnnxBackend {
  /** e.g. `onnxruntime-web`, `onnxruntime-node`, `onnxruntime-web (workerd)`. */
  readonly name: string;
  /** Whether `createSession` accepts `{ path }`: onnxruntime-node reads the file natively. */
  readonly opensFiles?: boolean;
  createSession(
    model: OnnxModel,
    files?: { externalData?: readonly ExternalDataFile[] },
  ): Promise<OnnxSession>;
}

/** The subset of the onnxruntime-common module shape that `fromOrt` uses. */
export interface OrtModule {
  InferenceSession: {
    create(model: Uint8Array | string, options?: Record<string, unknown>): Promise<OrtSession>;
  };
  Tensor: new (type: TensorType, data: Float32Array | BigInt64Array, dims: readonly number[]) => unknown;
}

interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly { name: string; shape?: readonly (number | string)[] }[];
  run(
    feeds: Record<string, unknown>,
    fetches?: readonly string[],
  ): Promise<Record<string, { type: string; data: unknown; dims: readonly number[] }>>;
  release(): Promise<void>;
}

/**
 * Wrap an onnxruntime module (web or node) as an `OnnxBackend`. The module may be given as a loader,
 * called on the first session: a process that never uses this backend then never loads it (a Node
 * server on onnxruntime-node does not parse onnxruntime-web at start).
 */
export function fromOrt(
  name: string,
  module: OrtModule | (() => Promise<OrtModule>),
  sessionOptions: Record<string, unknown> = {},
  capabilities: { opensFiles?: boolean } = {},
): OnnxBackend {
  const opensFiles = capabilities.opensFiles ?? false;
  let loaded: Promise<OrtModule> | undefined;
  const load = () => {
    loaded ??= typeof module === 'function' ? module() : Promise.resolve(module);
    return loaded;
  };
  return {
    name,
    opensFiles,
    async createSession(model, files) {
      if (!(model instanceof Uint8Array) && !opensFiles) {
        throw new BackendError('backend_failed', `${name} loads models from bytes, not from ${model.path}`);
      }
      let session: OrtSession;
      let ort: OrtModule;
      try {
        ort = await load();
      } catch (cause) {
        loaded = undefined;
        throw new BackendError('backend_failed', `${name} could not be loaded: ${message(cause)}`, { cause });
      }
      try {
        session = await ort.InferenceSession.create(model instanceof Uint8Array ? model : model.path, {
          graphOptimizationLevel: 'all',
          ...sessionOptions,
          ...(files?.externalData?.length ? { externalData: files.externalData } : {}),
        });
      } catch (cause) {
        throw new BackendError('backend_failed', `${name} could not load the ONNX model: ${message(cause)}`, {
          cause,
        });
      }
      const inputShapes: Record<string, readonly (number | string)[]> = {};
      for (const input of session.inputMetadata ?? []) if (input.shape) inputShapes[input.name] = input.shape;
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        inputShapes,
        async run(feeds, outputs) {
          const ortFeeds: Record<string, unknown> = {};
          for (const [key, t] of Object.entries(feeds))
            ortFeeds[key] = new ort.Tensor(t.type, t.data, t.dims);
          let out: Awaited<ReturnType<OrtSession['run']>>;
          try {
            out = await (outputs ? session.run(ortFeeds, outputs) : session.run(ortFeeds));
          } catch (cause) {
            throw new BackendError('backend_failed', `${name} failed to run the model: ${message(cause)}`, {
              cause,
            });
          }
          const result: Record<string, TensorData> = {};
          for (const [key, t] of Object.entries(out)) {
            result[key] = { type: t.type as TensorType, data: t.data as Float32Array, dims: t.dims };
          }
          return result;
        },
        release: () => session.release(),
      };
    },
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
