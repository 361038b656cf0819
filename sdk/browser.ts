/**
 * Descry for browsers: onnxruntime-web (wasm), downloads cached in the Cache API. The runtime-
 * neutral defaults already do exactly this. Browser-only: `DescryWorker`, the same API with the
 * model in a Web Worker so that the page's thread never waits for it, and `serveDescry`, the
 * worker's side (sdk/browser/worker.ts).
 */

export { serveDescry, type WorkerLoadOptions } from './browser/worker.js';
export { DescryWorker, type DescryWorkerOptions } from './browser/worker-client.js';
export * from './index.js';
