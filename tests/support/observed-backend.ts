/**
 * The real onnxruntime-node backend, observed: hooks see each model it is given and each run, and
 * may reshape what a session declares or fail a run. Used to check what Descry hands the runtime
 * (paths or bytes, batch shapes) without replacing the runtime.
 */
import { type OnnxBackend, type OnnxModel, type OnnxSession, ortNodeBackend, type TensorData } from 'descry';

export interface BackendObserver {
  /** Each model given to createSession. */
  onModel?(model: OnnxModel): void;
  /** Each run's feeds; a returned error fails that run instead of running it. */
  onRun?(feeds: Record<string, TensorData>): Error | undefined;
  /** Replaces the declared input shapes of a session. */
  inputShapes?(session: OnnxSession): OnnxSession['inputShapes'];
}

export async function observedNodeBackend(observer: BackendObserver): Promise<OnnxBackend> {
  const native = (await ortNodeBackend())!;
  return {
    name: native.name,
    opensFiles: native.opensFiles,
    async createSession(model) {
      observer.onModel?.(model);
      const session = await native.createSession(model);
      const inputShapes = observer.inputShapes?.(session) ?? session.inputShapes;
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        ...(inputShapes ? { inputShapes } : {}),
        release: () => session.release(),
        run(feeds, outputs) {
          const failure = observer.onRun?.(feeds);
          return failure ? Promise.reject(failure) : session.run(feeds, outputs);
        },
      };
    },
  };
}
