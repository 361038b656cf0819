/**
 * Random-weight models that tests generate with the benchmark generators (bench/models, Debian's
 * Python: python3-torch, python3-onnx, python3-numpy, python3-pil), into tests/.generated/ (ignored,
 * never committed), reused while the generators' sources are unchanged: the folder keeps a hash of
 * bench/models/*.py and is made again when it differs.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const PYTHON = '/usr/bin/python3';

/** The generators' sources, hashed. */
function generatorKey(root: string, extra: readonly string[]): string {
  const hash = createHash('sha256');
  const dir = join(root, 'bench', 'models');
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.py'))
    .sort()) {
    hash.update(name).update(readFileSync(join(dir, name)));
  }
  for (const part of extra) hash.update(part);
  return hash.digest('hex');
}

/**
 * tests/.generated/<name>, made by running each of `steps` (a script of bench/models and its
 * arguments; the folder is appended) when it is missing or stale. Returns the folder.
 */
export async function generatedModel(
  root: string,
  name: string,
  steps: ReadonlyArray<readonly [script: string, ...args: string[]]>,
): Promise<string> {
  const folder = join(root, 'tests', '.generated', name);
  const keyFile = join(folder, 'descry-test-key');
  const key = generatorKey(root, steps.flat());
  if (existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key) return folder;
  if (!existsSync(PYTHON)) {
    throw new Error(
      `tests generate ${name} with ${PYTHON} and Debian's python3-torch, python3-onnx, python3-numpy, python3-pil (DEVELOPERS.md)`,
    );
  }
  for (const [script, ...args] of steps) {
    await promisify(execFile)(PYTHON, [join(root, 'bench', 'models', script), folder, ...args], {
      cwd: root,
      maxBuffer: 16 * 2 ** 20,
    });
  }
  writeFileSync(keyFile, key);
  return folder;
}
