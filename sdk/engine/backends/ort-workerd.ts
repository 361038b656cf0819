/**
 * onnxruntime-web inside workerd (Cloudflare Workers), where WebAssembly may not be compiled from
 * bytes at run time. Wrangler precompiles the imported .wasm into a WebAssembly.Module; ORT 1.30
 * has no option to take a Module, so `env.wasm.wasmBinary` gets a small marker and
 * `WebAssembly.instantiate` is wrapped to answer that marker with the precompiled module. The
 * marker is matched by content because ORT copies the buffer before instantiating. One thread:
 * workerd has no Web Workers for ORT's thread pool.
 */
import * as ort from 'onnxruntime-web/wasm';
import { fromOrt, type OnnxBackend, type OrtModule } from '../backend.js';

const MARKER = new TextEncoder().encode('descry:precompiled-ort-wasm');

function isMarker(source: unknown): boolean {
  let bytes: Uint8Array | undefined;
  if (source instanceof Uint8Array) bytes = source;
  else if (source instanceof ArrayBuffer) bytes = new Uint8Array(source);
  else if (ArrayBuffer.isView(source))
    bytes = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  return (
    bytes !== undefined && bytes.byteLength === MARKER.byteLength && bytes.every((b, i) => b === MARKER[i])
  );
}

let installed = false;

/** The onnxruntime-web backend wired to a precompiled ORT wasm module. */
export function ortWorkerdBackend(wasm: WebAssembly.Module): OnnxBackend {
  if (!installed) {
    installed = true;
    const instantiate = WebAssembly.instantiate.bind(WebAssembly) as (
      source: unknown,
      imports?: WebAssembly.Imports,
    ) => Promise<unknown>;
    (WebAssembly as { instantiate: unknown }).instantiate = async (
      source: unknown,
      imports?: WebAssembly.Imports,
    ) => {
      if (!isMarker(source)) return instantiate(source, imports);
      const instance = await instantiate(wasm, imports);
      return { instance, module: wasm };
    };
    ort.env.wasm.wasmBinary = MARKER;
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
  }
  return fromOrt('onnxruntime-web (workerd)', ort as unknown as OrtModule, { executionProviders: ['wasm'] });
}
