/**
 * onnxruntime-web (WebAssembly): the backend that runs everywhere. Its `wasm` export is the plain
 * CPU build: one .wasm (ort-wasm-simd-threaded.wasm, 14 MB), which bundlers emit next to the app
 * (ORT refers to it with `new URL(…, import.meta.url)`), Node reads from node_modules and workerd
 * gets precompiled (ort-workerd.ts). The package's main export would be the WebGPU build, whose .wasm
 * is twice the size and which Descry does not use by default. It is imported on the first session,
 * so that a Node process running onnxruntime-node never loads it.
 *
 * WebGPU is the caller's choice: `ort: () => import('onnxruntime-web/webgpu')` with
 * `executionProviders: ['webgpu', 'wasm']`. Descry does not import that build itself: a bundler
 * would then emit its 27 MB .wasm with every app, over the 25 MiB a Workers static asset may be.
 */
import { fromOrt, type OnnxBackend, type OrtModule } from '../backend.js';

/** Options for the wasm backend. */
export interface OrtWebOptions {
  /** WebAssembly threads; default: ORT's choice (1 where threads are unavailable). */
  numThreads?: number;
  /**
   * Run ONNX Runtime in its proxy worker (`ort.env.wasm.proxy`): session.run leaves the calling
   * thread, decoding, preprocessing and scoring do not. In a page, `DescryWorker` moves all of
   * them (bench/browser.ts compares the two).
   */
  proxy?: boolean;
  /** Execution providers, in order of preference; default `['wasm']`. */
  executionProviders?: readonly (string | Record<string, unknown>)[];
  /** The onnxruntime-web module to use, e.g. `() => import('onnxruntime-web/webgpu')`; default its wasm build. */
  ort?: () => Promise<unknown>;
}

/** ORT's global settings that these options touch. */
interface OrtWebEnv {
  env: { wasm: { numThreads?: number; proxy?: boolean } };
}

/** The onnxruntime-web backend. */
export function ortWebBackend(options: OrtWebOptions = {}): OnnxBackend {
  const load = async () => {
    const ort = (options.ort ? await options.ort() : await import('onnxruntime-web/wasm')) as OrtWebEnv;
    if (options.numThreads !== undefined) ort.env.wasm.numThreads = options.numThreads;
    if (options.proxy !== undefined) ort.env.wasm.proxy = options.proxy;
    return ort as unknown as OrtModule;
  };
  return fromOrt('onnxruntime-web', load, {
    executionProviders: [...(options.executionProviders ?? ['wasm'])],
  });
}
