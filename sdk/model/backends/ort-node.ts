/**
 * onnxruntime-node (native CPU) when the optional dependency is installed. Loaded dynamically so
 * that bundles for the browser and workerd never see it.
 */
import { fromOrt, type OnnxBackend, type OrtModule } from '../backend.js';

/** The native backend, or undefined when onnxruntime-node is not installed or does not load. */
export async function ortNodeBackend(): Promise<OnnxBackend | undefined> {
  try {
    const specifier = 'onnxruntime-node';
    const ort = (await import(/* @vite-ignore */ specifier)) as { default?: OrtModule } & OrtModule;
    return fromOrt('onnxruntime-node', ort.InferenceSession ? ort : (ort.default as OrtModule), {
      executionProviders: ['cpu'],
    });
  } catch {
    return undefined;
  }
}
