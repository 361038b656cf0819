/** Downloaded model files cached on disk (Node), keyed by a hash of the URL. */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isFile } from './folder-source.node.js';
import type { DownloadCache } from './source.js';

/** Default folder: $DESCRY_CACHE_DIR, else ~/.cache/descry. */
export function defaultCacheDir(): string {
  return process.env.DESCRY_CACHE_DIR ?? join(homedir(), '.cache', 'descry');
}

/** A disk cache; writes go through a temporary file and a rename so a crash leaves no torn file. */
export function diskDownloadCache(dir = defaultCacheDir()): DownloadCache {
  const pathOf = (url: string) => join(dir, createHash('sha256').update(url).digest('hex'));
  return {
    async get(url) {
      try {
        return new Uint8Array(await readFile(pathOf(url)));
      } catch {
        return undefined;
      }
    },
    async localPath(url) {
      const path = pathOf(url);
      return (await isFile(path)) ? path : undefined;
    },
    async put(url, bytes) {
      await mkdir(dir, { recursive: true });
      const target = pathOf(url);
      const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(temp, bytes);
      await rename(temp, target);
    },
  };
}
