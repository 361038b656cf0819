/**
 * A folder as an {@link ObjectBucket} (Node): the object `a/b.png` is the file `<folder>/a/b.png`,
 * so a job's source is any folder of images and its results are plain files anyone can read.
 * Listing walks the prefix's folder once per page and sorts, which is fine for the folders one
 * machine classifies; writes go to a temporary file renamed into place, so readers never see half a
 * shard (a write killed mid-way leaves a hidden `.*.tmp` file, which listings skip).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { InvalidInputError } from 'descry';
import { listedAfter, type ObjectBucket } from './object-bucket.js';

/** The file of `key`, refusing keys that would leave the folder. */
function fileOf(folder: string, key: string): string {
  const parts = key.split('/');
  if (
    key.startsWith('/') ||
    key.includes('\\') ||
    key.includes('\0') ||
    parts.some((p) => p === '..' || p === '.')
  ) {
    throw new InvalidInputError('invalid_input', `"${key}" is not a valid object key`, { details: { key } });
  }
  return join(folder, ...parts);
}

/** Every file under `folder/prefix's directory`, as keys relative to `folder`. */
async function filesUnder(folder: string, prefix: string): Promise<string[]> {
  const directory = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
  let start = folder;
  if (directory !== '') {
    try {
      start = fileOf(folder, directory);
    } catch {
      return []; // no key can start with a prefix no key can have
    }
  }
  const entries = await readdir(start, { recursive: true, withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
      throw error;
    },
  );
  return entries
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)).split(sep).join('/'));
}

/** An {@link ObjectBucket} over `folder` (created on first write). */
export function folderObjectBucket(folder: string): ObjectBucket {
  return {
    async list({ prefix, cursor, limit, startAfter }) {
      const after = listedAfter(cursor, startAfter);
      const keys = (await filesUnder(folder, prefix))
        .filter((key) => key.startsWith(prefix) && (after === undefined || key > after))
        .sort();
      const page = keys.slice(0, limit);
      const objects = await Promise.all(
        page.map(async (key) => ({ key, size: (await stat(fileOf(folder, key))).size })),
      );
      return { objects, ...(keys.length > limit ? { cursor: page.at(-1)! } : {}) };
    },
    async get(key) {
      const file = fileOf(folder, key);
      const found = await stat(file).catch(() => undefined);
      if (!found?.isFile()) return null;
      return {
        size: found.size,
        bytes: async () => new Uint8Array(await readFile(file)),
        discard: async () => {},
      };
    },
    async put(key, value, options = {}) {
      const file = fileOf(folder, key);
      await mkdir(dirname(file), { recursive: true });
      if (options.onlyIfAbsent) {
        // 'wx' fails when the file exists: the check and the create are one step.
        const handle = await open(file, 'wx').catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'EEXIST') return undefined;
          throw error;
        });
        if (!handle) return false;
        try {
          await handle.writeFile(value);
        } finally {
          await handle.close();
        }
        return true;
      }
      // A hidden name: listings skip dot files, so a half-written shard is never listed.
      const temporary = join(dirname(file), `.${basename(file)}.${randomUUID()}.tmp`);
      await writeFile(temporary, value);
      await rename(temporary, file);
      return true;
    },
  };
}
