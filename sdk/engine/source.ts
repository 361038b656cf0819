/**
 * Where model files come from. A `ModelFiles` reads one file of the Hugging Face / transformers.js
 * layout by its relative path; sources differ only in how: bytes in memory (bundled in a Worker,
 * read from R2), HTTP(S) under a base URL (a mirror, R2 public bucket, or the hub's
 * `{id}/resolve/{revision}/{file}` layout), or a local folder (Node: see folder-source.node.ts).
 *
 * Downloads go into a cache (disk in Node, the Cache API elsewhere) with the validators the server
 * sent (ETag, Last-Modified, the hub's X-Repo-Commit). A moving revision (`main`, a branch or tag,
 * a plain mirror URL) is revalidated on every read with a conditional request (If-None-Match /
 * If-Modified-Since: a 304 costs no download), so a re-exported model is not served stale; a
 * pinned one (a 40-hex commit) is never asked again. When the server cannot be reached the cached
 * copy is used, so a cached model still loads offline.
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
   * Paths of the files under `folder` (`'onnx'` → `['onnx/text_model.onnx', …]`) when the source can
   * list them (a folder, files in memory, the hub's tree API); undefined when it cannot.
   */
  list?(folder: string): Promise<string[] | undefined>;
  /** Whether `path` exists, asked without downloading it (HEAD); undefined when the answer is unclear. */
  has?(path: string): Promise<boolean | undefined>;
  /**
   * Bytes of `path` without reading it, where the source can tell (R2's head, bytes in memory);
   * undefined otherwise. A memory budget refuses a file too large to load before reading it.
   */
  size?(path: string): Promise<number | undefined>;
}

/** What a server said about the version of a file it sent, to ask later whether it changed. */
export interface FileValidators {
  etag?: string;
  lastModified?: string;
  /** The hub's X-Repo-Commit: the commit the revision pointed at. */
  commit?: string;
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
  put(url: string, bytes: Uint8Array, validators?: FileValidators): Promise<void>;
  /**
   * The validators stored with `url` (`{}` when it has none), without reading its bytes; undefined
   * when `url` is not cached. A cache without this method is never revalidated.
   */
  validators?(url: string): Promise<FileValidators | undefined>;
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
    async list(folder) {
      const prefix = `${folder.replace(/\/$/, '')}/`;
      return Object.keys(files).filter((path) => path.startsWith(prefix));
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
  /**
   * Ask the server whether a cached file changed before using it (a conditional request). Default:
   * true, except for hub URLs of a pinned commit (`/resolve/{40 hex digits}/`), which cannot change.
   */
  revalidate?: boolean;
}

/** A hub revision that names one commit: its files never change. */
export function isPinnedRevision(revision: string): boolean {
  return /^[0-9a-f]{40}$/i.test(revision);
}

function validatorsOf(response: Response): FileValidators {
  const etag = response.headers.get('etag');
  const lastModified = response.headers.get('last-modified');
  const commit = response.headers.get('x-repo-commit');
  return {
    ...(etag ? { etag } : {}),
    ...(lastModified ? { lastModified } : {}),
    ...(commit ? { commit } : {}),
  };
}

/** Files under a base URL: `${baseUrl}/${path}`. */
export function urlSource(baseUrl: string, options: UrlSourceOptions = {}): ModelFiles {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const cache = options.cache;
  const revalidate = options.revalidate ?? !/\/resolve\/[0-9a-f]{40}\//i.test(base);
  const get = async (url: string, headers: Record<string, string> = {}, method = 'GET') => {
    try {
      return await doFetch(url, { method, headers: { ...options.headers, ...headers } });
    } catch (cause) {
      throw new ModelLoadError('model_load_failed', `could not fetch ${url}: ${String(cause)}`, { cause });
    }
  };
  /** The body of a successful download, stored in the cache with its validators. */
  const keep = async (url: string, path: string, response: Response): Promise<Uint8Array> => {
    const bytes = await readWithProgress(response, path, options.onProgress);
    await cache?.put(url, bytes, validatorsOf(response));
    return bytes;
  };
  /**
   * Make the cache hold a current copy of `path`: 'cached' when it does (asked again first, when
   * the source revalidates and the entry has validators), else the bytes just downloaded.
   */
  const sync = async (path: string): Promise<Uint8Array | 'cached'> => {
    const url = new URL(path, base).toString();
    if (cache?.validators) {
      const known = await cache.validators(url);
      if (known && (!revalidate || !(known.etag || known.lastModified))) return 'cached';
      if (known) {
        const conditions: Record<string, string> = {
          ...(known.etag ? { 'If-None-Match': known.etag } : {}),
          ...(known.lastModified ? { 'If-Modified-Since': known.lastModified } : {}),
        };
        // Offline, or the server failing: the cached copy is what there is.
        const response = await get(url, conditions).catch(() => undefined);
        if (!response || response.status === 304) return 'cached';
        if (response.status === 404) throw missing(baseUrl, path);
        if (!response.ok) return 'cached';
        return keep(url, path, response);
      }
    } else {
      const cached = await cache?.get(url);
      if (cached) return cached;
    }
    const response = await get(url);
    if (response.status === 404) throw missing(baseUrl, path);
    if (!response.ok) {
      throw new ModelLoadError('model_load_failed', `fetching ${url} answered HTTP ${response.status}`);
    }
    return keep(url, path, response);
  };
  const read = async (path: string): Promise<Uint8Array> => {
    const synced = await sync(path);
    if (synced !== 'cached') return synced;
    const url = new URL(path, base).toString();
    const cached = await cache!.get(url);
    if (cached) return cached;
    // Evicted since it was checked: download it again.
    const response = await get(url);
    if (response.status === 404) throw missing(baseUrl, path);
    if (!response.ok) {
      throw new ModelLoadError('model_load_failed', `fetching ${url} answered HTTP ${response.status}`);
    }
    return keep(url, path, response);
  };
  const has = async (path: string): Promise<boolean | undefined> => {
    const response = await get(new URL(path, base).toString(), {}, 'HEAD').catch(() => undefined);
    if (response?.ok) return true;
    return response?.status === 404 ? false : undefined;
  };
  const localPath = cache?.localPath?.bind(cache);
  if (!localPath) return { id: baseUrl, read, has };
  return {
    id: baseUrl,
    read,
    has,
    async localPath(path) {
      await sync(path); // downloaded (or confirmed current) into the cache; the bytes are dropped here
      return localPath(new URL(path, base).toString());
    },
  };
}

/** The Hugging Face hub's file layout, or any mirror of it (`endpoint`). */
export function hubSource(
  repoId: string,
  options: UrlSourceOptions & { revision?: string; endpoint?: string } = {},
): ModelFiles {
  const endpoint = (options.endpoint ?? 'https://huggingface.co').replace(/\/$/, '');
  const revision = options.revision ?? 'main';
  const source = urlSource(`${endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/`, {
    ...options,
    revalidate: options.revalidate ?? !isPinnedRevision(revision),
  });
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  return {
    ...source,
    id: repoId,
    /** The hub API's file list, `GET /api/models/{id}/tree/{revision}/{folder}`, where it answers. */
    async list(folder) {
      const url = `${endpoint}/api/models/${repoId}/tree/${encodeURIComponent(revision)}/${folder}`;
      try {
        const response = await doFetch(url, { headers: options.headers ?? {} });
        if (!response.ok) return undefined;
        const entries = (await response.json()) as unknown;
        if (!Array.isArray(entries)) return undefined;
        return entries
          .filter((entry): entry is { type: string; path: string } => typeof entry?.path === 'string')
          .filter((entry) => entry.type !== 'directory')
          .map((entry) => entry.path);
      } catch {
        return undefined;
      }
    },
  };
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

/** Headers that carry a file's validators in a Cache API entry. */
const VALIDATOR_HEADERS = { etag: 'ETag', lastModified: 'Last-Modified', commit: 'X-Repo-Commit' } as const;

/**
 * The Cache API as a download cache (browsers, Workers). Each entry keeps the validators it was
 * downloaded with as its headers, so a moving revision is revalidated as on disk.
 */
export function cacheApiDownloadCache(name = 'descry-models'): DownloadCache | undefined {
  if (typeof caches === 'undefined') return undefined;
  return {
    async get(url) {
      const hit = await (await caches.open(name)).match(url);
      return hit ? new Uint8Array(await hit.arrayBuffer()) : undefined;
    },
    async validators(url) {
      const hit = await (await caches.open(name)).match(url);
      if (!hit) return undefined;
      await hit.body?.cancel(); // only the headers are wanted
      const validators: FileValidators = {};
      for (const [key, header] of Object.entries(VALIDATOR_HEADERS)) {
        const value = hit.headers.get(header);
        if (value) validators[key as keyof FileValidators] = value;
      }
      return validators;
    },
    async put(url, bytes, validators = {}) {
      // Workers' Cache API stores only what HTTP caching would: without a lifetime, nothing is kept.
      // Freshness is this module's business (revalidation above), so the entry lives for a year.
      const headers: Record<string, string> = { 'Cache-Control': 'public, max-age=31536000' };
      for (const [key, header] of Object.entries(VALIDATOR_HEADERS)) {
        const value = validators[key as keyof FileValidators];
        if (value) headers[header] = value;
      }
      await (await caches.open(name)).put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers }));
    },
  };
}
