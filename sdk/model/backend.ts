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
  run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

/** Creates sessions from model bytes. */
export interface OnnxBackend {
  /** e.g. `onnxruntime-web`, `onnxruntime-node`, `onnxruntime-web (workerd)`. */
  readonly name: string;
  createSession(model: Uint8Array): Promise<OnnxSession>;
}

/** The subset of the onnxruntime-common module shape that `fromOrt` uses. */
export interface OrtModule {
  InferenceSession: {
    create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession>;
  };
  Tensor: new (type: TensorType, data: Float32Array | BigInt64Array, dims: readonly number[]) => unknown;
}

interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(
    feeds: Record<string, unknown>,
  ): Promise<Record<string, { type: string; data: unknown; dims: readonly number[] }>>;
  release(): Promise<void>;
}

/** Wrap an onnxruntime module (web or node) as an `OnnxBackend`. */
export function fromOrt(
  name: string,
  ort: OrtModule,
  sessionOptions: Record<string, unknown> = {},
): OnnxBackend {
  return {
    name,
    async createSession(model) {
      let session: OrtSession;
      try {
        session = await ort.InferenceSession.create(model, {
          graphOptimizationLevel: 'all',
          ...sessionOptions,
        });
      } catch (cause) {
        throw new BackendError('backend_failed', `${name} could not load the ONNX model: ${message(cause)}`, {
          cause,
        });
      }
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        async run(feeds) {
          const ortFeeds: Record<string, unknown> = {};
          for (const [key, t] of Object.entries(feeds))
            ortFeeds[key] = new ort.Tensor(t.type, t.data, t.dims);
          let out: Awaited<ReturnType<OrtSession['run']>>;
          try {
            out = await session.run(ortFeeds);
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
