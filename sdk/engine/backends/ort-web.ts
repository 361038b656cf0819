/**
 * onnxruntime-web (WebAssembly): the backend that runs everywhere. Its `wasm` export is the plain
 * CPU build: one .wasm (ort-wasm-simd-threaded.wasm, 14 MB), which bundlers emit next to the app
 * (ORT refers to it with `new URL(…, import.meta.url)`), Node reads from node_modules and workerd
 * gets precompiled (ort-workerd.ts). The package's main export would be the WebGPU build, whose .wasm
 * is twice the size and which Descry does not use. It is imported on the first session, so that a
 * Node process running onnxruntime-node never loads it.
 */
import { fromOrt, type OnnxBackend, type OrtModule } from '../backend.js';

/** Options for the wasm backend. */
export interface OrtWebOptions {
  /** WebAssembly threads; default: ORT's choice (1 where threads are unavailable). */
  numThreads?: number;
}

/** The onnxruntime-web backend. */
export function ortWebBackend(options: OrtWebOptions = {}): OnnxBackend {
  const load = async () => {
    const ort = await import('onnxruntime-web/wasm');
    if (options.numThreads !== undefined) ort.env.wasm.numThreads = options.numThreads;
    return ort as unknown as OrtModule;
  };
  return fromOrt('onnxruntime-web', load, { executionProviders: ['wasm'] });
}
