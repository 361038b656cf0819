/**
 * Descry for browsers: onnxruntime-web (wasm), downloads cached in the Cache API. The runtime-
 * neutral defaults already do exactly this; the entry exists so that every runtime has one.
 */
export * from './index.js';
