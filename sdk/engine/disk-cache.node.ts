/**
 * Downloaded model files cached on disk (Node). A file is kept under a folder named by the hash of
 * its URL's folder, with its own name (`{dir}/{sha256(folder URL)}/text_model.onnx`), so the files
 * of one model folder sit together as they did on the server: ONNX Runtime, opening a graph by its
 * path, finds its external data (`text_model.onnx_data`) beside it. The validators the server sent
 * (ETag, Last-Modified, X-Repo-Commit) are kept in `.validators/{name}.json` in the same folder, for
 * the conditional requests that revalidate a moving revision (source.ts).
 *
 * Writes go through a temporary file and a rename, the bytes before their validators, so a crash
 * leaves no torn file, and at worst validators older than the bytes (which only costs a download).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isFile } from './folder-source.node.js';
import type { DownloadCache, FileValidators } from './source.js';

/** Default folder: $DESCRY_CACHE_DIR, else ~/.cache/descry. */
export function defaultCacheDir(): string {
  return process.env.DESCRY_CACHE_DIR ?? join(homedir(), '.cache', 'descry');
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Where `url` is kept: its folder's hash and its own name (a hash when the name is unusual or has a query). */
function locationOf(dir: string, url: string): { folder: string; name: string } {
  const parsed = new URL(url);
  const slash = parsed.pathname.lastIndexOf('/');
  const name = parsed.pathname.slice(slash + 1);
  const folderUrl = `${parsed.origin}${parsed.pathname.slice(0, slash + 1)}`;
  const plain = /^[\w][\w.-]*$/.test(name) && parsed.search === '';
  return { folder: join(dir, sha256(folderUrl)), name: plain ? name : sha256(url) };
}

async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const temp = `${path}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temp, data);
  await rename(temp, path);
}

/** A disk cache in `dir`. */
export function diskDownloadCache(dir = defaultCacheDir()): DownloadCache {
  const pathOf = (url: string) => {
    const { folder, name } = locationOf(dir, url);
    return join(folder, name);
  };
  const validatorsPathOf = (url: string) => {
    const { folder, name } = locationOf(dir, url);
    return join(folder, '.validators', `${name}.json`);
  };
  return {
    async get(url) {
      try {
        return new Uint8Array(await readFile(pathOf(url)));
      } catch {
        return undefined;
      }
    },
    async validators(url) {
      if (!(await isFile(pathOf(url)))) return undefined;
      try {
        return JSON.parse(await readFile(validatorsPathOf(url), 'utf8')) as FileValidators;
      } catch {
        return {}; // cached without validators (or they were lost): used as it is
      }
    },
    async localPath(url) {
      const path = pathOf(url);
      return (await isFile(path)) ? path : undefined;
    },
    async put(url, bytes, validators = {}) {
      const target = pathOf(url);
      const meta = validatorsPathOf(url);
      await mkdir(join(meta, '..'), { recursive: true });
      await writeAtomically(target, bytes);
      await writeAtomically(meta, JSON.stringify(validators));
    },
  };
}
