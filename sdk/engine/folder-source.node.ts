/** A model in a local folder (Node only). */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ModelLoadError } from '../errors.js';
import type { ModelFiles } from './source.js';

/** Files of a model folder in the transformers.js layout. */
export function folderSource(folder: string): ModelFiles {
  const root = resolve(folder);
  return {
    id: root,
    async read(path) {
      try {
        return new Uint8Array(await readFile(join(root, path)));
      } catch (cause) {
        throw new ModelLoadError('model_load_failed', `model folder ${root} has no readable ${path}`, {
          cause,
          details: { path },
        });
      }
    },
    async localPath(path) {
      const file = join(root, path);
      return (await isFile(file)) ? file : undefined;
    },
    async list(folder) {
      try {
        const entries = await readdir(join(root, folder), { withFileTypes: true });
        return entries.filter((entry) => entry.isFile()).map((entry) => `${folder}/${entry.name}`);
      } catch {
        return undefined;
      }
    },
  };
}

/** True when `path` is an existing directory. */
export async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** True when `path` is an existing regular file. */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
