/**
 * Where model files come from. A `ModelFiles` reads one file of the Hugging Face / transformers.js
 * layout by its relative path; sources differ only in how: bytes in memory (bundled in a Worker,
 * read from R2), HTTP(S) under a base URL (a mirror, R2 public bucket, or the hub's
 * `{id}/resolve/{revision}/{file}` layout), or a local folder (Node: see folder-source.node.ts).
 */
import { ModelLoadError } from '../errors.js';

/** Reads the files of one model. */
export interface ModelFiles {
  /** Human-readable identity: a folder, URL, hub id or 'bundled'. */
  readonly id: string;
  /** Bytes of `path` (e.g. 'onnx/vision_model.onnx'); ModelLoadError when missing. */
  read(path: string): Promise<Uint8Array>;
  /**
   * Where `path` is on the local disk, when the source keeps files there (a folder, the disk cache
   * in Node); undefined otherwise, or when it is missing (then `read` reports it). Backends that
   * open files themselves load from it instead of from a copy in memory.
   */
  localPath?(path: string): Promise<string | undefined>;
  /**
   * Bytes of `path` without reading it, where the source can tell (R2's head, bytes in memory);
   * undefined otherwise. A memory budget refuses a file too large to load before reading it.
   */
  size?(path: string): Promise<number | undefined>;
}

/** Download progress of one file. */
export interface DownloadProgress {
  file: string;
  loaded: number;
  /** From Content-Length; undefined when the server does not say. */
  total: number | undefined;
}

/** A cache of downloaded files keyed by URL (Cache API in browsers and Workers, disk in Node). */
export interface DownloadCache {
  get(url: string): Promise<Uint8Array | undefined>;
  put(url: string, bytes: Uint8Array): Promise<void>;
  /** The file holding `url` when the cache is a local disk and has it. */
  localPath?(url: string): Promise<string | undefined>;
}

/** Bundled or caller-supplied files. Values may be bytes, text or already-parsed JSON. */
export type ModelFileMap = Record<string, Uint8Array | ArrayBuffer | string | object>;

/** Files held in memory. */
export function bytesSource(files: ModelFileMap, id = 'bundled'): ModelFiles {
  const encoder = new TextEncoder();
  return {
    id,
    async read(path) {
      const value = files[path];
      if (value === undefined) throw missing(id, path);
      if (value instanceof Uint8Array) return value;
      if (value instanceof ArrayBuffer) return new Uint8Array(value);
      if (typeof value === 'string') return encoder.encode(value);
      return encoder.encode(JSON.stringify(value));
    },
    async size(path) {
      const value = files[path];
      return value instanceof Uint8Array || value instanceof ArrayBuffer ? value.byteLength : undefined;
    },
  };
}

/** Options for HTTP sources. */
export interface UrlSourceOptions {
  /** The fetch to use (an R2-backed or authenticated fetch, for example). Default: global fetch. */
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  cache?: DownloadCache;
  onProgress?: (progress: DownloadProgress) => void;
}

/** Files under a base URL: `${baseUrl}/${path}`. */
export function urlSource(baseUrl: string, options: UrlSourceOptions = {}): ModelFiles {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const cache = options.cache;
  const read = async (path: string): Promise<Uint8Array> => {
    const url = new URL(path, base).toString();
    const cached = await cache?.get(url);
    if (cached) return cached;
    let response: Response;
    try {
      response = await doFetch(url, { headers: options.headers ?? {} });
    } catch (cause) {
      throw new ModelLoadError('model_load_failed', `could not fetch ${url}: ${String(cause)}`, { cause });
    }
    if (response.status === 404) throw missing(baseUrl, path);
    if (!response.ok) {
      throw new ModelLoadError('model_load_failed', `fetching ${url} answered HTTP ${response.status}`);
    }
    const bytes = await readWithProgress(response, path, options.onProgress);
    await cache?.put(url, bytes);
    return bytes;
  };
  const localPath = cache?.localPath?.bind(cache);
  if (!localPath) return { id: baseUrl, read };
  return {
    id: baseUrl,
    read,
    async localPath(path) {
      const url = new URL(path, base).toString();
      const cached = await localPath(url);
      if (cached) return cached;
      await read(path); // download into the cache; the bytes are dropped here
      return localPath(url);
    },
  };
}

/** The Hugging Face hub's file layout, or any mirror of it (`endpoint`). */
export function hubSource(
  repoId: string,
  options: UrlSourceOptions & { revision?: string; endpoint?: string } = {},
): ModelFiles {
  const endpoint = (options.endpoint ?? 'https://huggingface.co').replace(/\/$/, '');
  const source = urlSource(`${endpoint}/${repoId}/resolve/${options.revision ?? 'main'}/`, options);
  return { ...source, id: repoId };
}

/** A hub repository id such as `Xenova/clip-vit-base-patch32`. */
export function isHubId(spec: string): boolean {
  return /^[\w.-]+\/[\w.-]+$/.test(spec) && !spec.startsWith('.');
}

async function readWithProgress(
  response: Response,
  file: string,
  onProgress: ((progress: DownloadProgress) => void) | undefined,
): Promise<Uint8Array> {
  const header = response.headers.get('content-length');
  const total = header ? Number(header) : undefined;
  if (!onProgress || !response.body) return new Uint8Array(await response.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress({ file, loaded, total });
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function missing(id: string, path: string): ModelLoadError {
  return new ModelLoadError('model_load_failed', `model ${id} has no file ${path}`, { details: { path } });
}

/** The Cache API as a download cache (browsers, Workers). */
export function cacheApiDownloadCache(name = 'descry-models'): DownloadCache | undefined {
  if (typeof caches === 'undefined') return undefined;
  return {
    async get(url) {
      const hit = await (await caches.open(name)).match(url);
      return hit ? new Uint8Array(await hit.arrayBuffer()) : undefined;
    },
    async put(url, bytes) {
      await (await caches.open(name)).put(url, new Response(bytes as Uint8Array<ArrayBuffer>));
    },
  };
}
