/**
 * Per-runtime defaults: which ONNX backend to use and how a model source string is resolved.
 * The runtime-neutral defaults cover what every runtime can do (onnxruntime-web, URLs, hub ids,
 * bytes); the Node, browser and workerd entry points install richer ones when imported.
 */

import type { OnnxBackend } from './engine/backend.js';
import { ortWebBackend } from './engine/backends/ort-web.js';
import type { LoadOptions, ModelSource } from './engine/load-options.js';
import {
  bytesSource,
  cacheApiDownloadCache,
  type DownloadCache,
  hubSource,
  isHubId,
  type ModelFiles,
  urlSource,
} from './engine/source.js';
import { ModelLoadError } from './errors.js';

/** What an entry point decides for its runtime. */
export interface RuntimeDefaults {
  /** The backend used when the caller names none. */
  backend(): Promise<OnnxBackend>;
  /** Turn a model source into files. */
  resolveSource(source: ModelSource, options: LoadOptions): Promise<ModelFiles>;
}

/**
 * Resolution every runtime supports: files in memory, http(s) URLs and hub ids, downloads cached in
 * `cache` (default: the Cache API where there is one).
 */
export async function resolvePortableSource(
  source: ModelSource,
  options: LoadOptions,
  cache: DownloadCache | undefined = cacheApiDownloadCache(),
): Promise<ModelFiles> {
  if (typeof source === 'object' && 'read' in source) return source;
  if (typeof source === 'object' && 'files' in source) return bytesSource(source.files, source.id);
  const spec = source.toString();
  const common = {
    ...(cache ? { cache } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
  if (/^https?:\/\//.test(spec)) return urlSource(spec, common);
  if (isHubId(spec)) {
    return hubSource(spec, {
      ...common,
      ...(options.revision ? { revision: options.revision } : {}),
      ...(options.hubEndpoint ? { endpoint: options.hubEndpoint } : {}),
    });
  }
  throw new ModelLoadError(
    'model_load_failed',
    `cannot load model from "${spec}" here: use a URL, a hub id, or bytes (local folders need Node)`,
  );
}

let webBackend: OnnxBackend | undefined;

let current: RuntimeDefaults = {
  backend: async () => {
    webBackend ??= ortWebBackend();
    return webBackend;
  },
  resolveSource: resolvePortableSource,
};

/** The defaults in force. */
export function runtime(): RuntimeDefaults {
  return current;
}

/** Install an entry point's defaults. */
export function setRuntime(defaults: RuntimeDefaults): void {
  current = defaults;
}
