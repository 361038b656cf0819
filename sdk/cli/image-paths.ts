/**
 * The images a command line names: files as given, folders walked recursively for image files,
 * and quoted glob patterns (`"shots/*.jpg"`) expanded with Node's fs.glob. Keys are the
 * paths as found, with `/` separators, which is also the object key a folder uploaded as-is gets.
 */
import { glob, readdir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { CliError } from './cli-error.js';

/**
 * Extensions taken from folders. Formats Descry does not decode (GIF, BMP, TIFF, AVIF, HEIC) are
 * included on purpose: each gets an `image_unsupported_format` line rather than silently missing.
 */
const IMAGE_FILE = /\.(png|jpe?g|webp|gif|bmp|tiff?|avif|heic)$/i;
const GLOB_MAGIC = /[*?[\]{}]/;

async function kind(path: string): Promise<'file' | 'folder' | undefined> {
  const found = await stat(path).catch(() => undefined);
  if (!found) return undefined;
  return found.isDirectory() ? 'folder' : 'file';
}

async function imagesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.') && IMAGE_FILE.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

async function globbed(pattern: string): Promise<string[]> {
  const paths: string[] = [];
  for await (const path of glob(pattern)) {
    if ((await kind(path)) === 'file') paths.push(path);
  }
  return paths.sort();
}

/** Every image path the inputs name, in order, each once. Throws CliError for an input that names nothing. */
export async function imagePaths(inputs: readonly string[]): Promise<string[]> {
  const seen = new Set<string>();
  for (const input of inputs) {
    const found = await kind(input);
    let paths: string[];
    if (found === 'file') paths = [input];
    else if (found === 'folder') paths = await imagesUnder(input);
    else if (GLOB_MAGIC.test(input)) paths = await globbed(input);
    else throw new CliError(`${input}: no such file or folder`);
    if (paths.length === 0) throw new CliError(`${input}: no images found`);
    for (const path of paths) seen.add(sep === '/' ? path : path.split(sep).join('/'));
  }
  return [...seen];
}
