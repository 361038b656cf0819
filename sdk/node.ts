/**
 * Descry for Node. Adds local model folders, a disk cache for downloads, and onnxruntime-node
 * when it is installed (falling back to onnxruntime-web's wasm), and the image pipeline's Node
 * providers (native zlib inflate, decoders' .wasm read from node_modules: sdk/image/node-providers.ts).
 * On Node older than 22.12 importing it throws, naming the version and the fix (./node-version.ts).
 */

import './image/node-providers.js';
import type { OnnxBackend } from './engine/backend.js';
import { ortNodeBackend } from './engine/backends/ort-node.js';
import { ortWebBackend } from './engine/backends/ort-web.js';
import { diskDownloadCache } from './engine/disk-cache.node.js';
import { folderSource, isFolder } from './engine/folder-source.node.js';
import type { LoadOptions, ModelSource } from './engine/load-options.js';
import { isHubId, type ModelFiles } from './engine/source.js';
import { assertSupportedNode } from './node-version.js';
import { resolvePortableSource, setRuntime } from './runtime.js';

// Before anything can fail in a less helpful way: Node older than 22.12 gets the version and the fix.
assertSupportedNode();

let chosen: Promise<OnnxBackend> | undefined;

async function resolveNodeSource(source: ModelSource, options: LoadOptions): Promise<ModelFiles> {
  if (typeof source !== 'string' && !(source instanceof URL)) return resolvePortableSource(source, options);
  const spec = source.toString();
  const path = spec.startsWith('file://') ? new URL(spec).pathname : spec;
  if (await isFolder(path)) return folderSource(path);
  if (/^https?:\/\//.test(spec) || isHubId(spec)) {
    return resolvePortableSource(source, options, diskDownloadCache());
  }
  return folderSource(path); // reports the missing folder clearly on first read
}

setRuntime({
  backend: () => {
    chosen ??= (async () => (await ortNodeBackend()) ?? ortWebBackend())();
    return chosen;
  },
  resolveSource: resolveNodeSource,
});

export { type OrtNodeOptions, ortNodeBackend, ortNodeSessionOptions } from './engine/backends/ort-node.js';
export { diskDownloadCache } from './engine/disk-cache.node.js';
export { folderSource } from './engine/folder-source.node.js';
export * from './index.js';
