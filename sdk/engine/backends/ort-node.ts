/**
 * onnxruntime-node (native CPU) when the optional dependency is installed. Loaded dynamically so
 * that bundles for the browser and workerd never see it. It opens model files itself, so local
 * models are passed by path and never copied into JavaScript memory.
 *
 * Session options: ORT's intra-op threads spin after each run waiting for more work. That wins a
 * little on an idle machine with one session, but a server runs a text and a vision session back to
 * back and shares its cores with other work: spinning threads of one session then steal the cores
 * the other needs (measured by `npm run bench:real`, section "session options"). Spinning is off by
 * default; the thread count stays ORT's (one per physical core) unless given.
 */
import { fromOrt, type OnnxBackend, type OrtModule } from '../backend.js';

/** Options of the native backend. */
export interface OrtNodeOptions {
  /** Intra-op threads per session; default ORT's, one per physical core. */
  threads?: number;
  /** Whether idle intra-op threads spin waiting for work (ORT's default); default false. */
  spinning?: boolean;
}

/** The session options Descry gives onnxruntime-node for `options`. */
export function ortNodeSessionOptions(options: OrtNodeOptions = {}): Record<string, unknown> {
  const spin = options.spinning ? '1' : '0';
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    ...(options.threads === undefined ? {} : { intraOpNumThreads: options.threads }),
    interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
  };
}

/** The native backend, or undefined when onnxruntime-node is not installed or does not load. */
export async function ortNodeBackend(options: OrtNodeOptions = {}): Promise<OnnxBackend | undefined> {
  try {
    const specifier = 'onnxruntime-node';
    const ort = (await import(/* @vite-ignore */ specifier)) as { default?: OrtModule } & OrtModule;
    return fromOrt(
      'onnxruntime-node',
      ort.InferenceSession ? ort : (ort.default as OrtModule),
      ortNodeSessionOptions(options),
      { opensFiles: true },
    );
  } catch {
    return undefined;
  }
}
