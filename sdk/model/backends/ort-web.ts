/**
 * onnxruntime-web (WebAssembly): the backend that runs everywhere. In Node its package export
 * resolves to the Node build, which loads the .wasm from node_modules by itself.
 */
import * as ort from 'onnxruntime-web';
import { fromOrt, type OnnxBackend, type OrtModule } from '../backend.js';

/** Options for the wasm backend. */
export interface OrtWebOptions {
  /** WebAssembly threads; default: ORT's choice (1 where threads are unavailable). */
  numThreads?: number;
}

/** The onnxruntime-web backend. */
export function ortWebBackend(options: OrtWebOptions = {}): OnnxBackend {
  if (options.numThreads !== undefined) ort.env.wasm.numThreads = options.numThreads;
  return fromOrt('onnxruntime-web', ort as unknown as OrtModule, { executionProviders: ['wasm'] });
}
