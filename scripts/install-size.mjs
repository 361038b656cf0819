#!/usr/bin/env node
/**
 * `npm run size:install [-- <tarball>…]`: what `npm install <tarball>` costs a user who wants the
 * SDK alone, measured as they would: a fresh project outside the repository, the tarball and
 * nothing else, then `du -sh node_modules`. Prints, per tarball, node_modules on disk (`du -sh`,
 * and the apparent size from `du -sb`), the number of packages, and every npm warning of the
 * install (npm names install scripts it ran or skipped there). Without an argument it packs this
 * repository first (`npm pack`, which builds dist/). Pass an older tarball beside the new one to
 * compare (the issue-21 figures: docs/sdk.md, "Install").
 *
 * Packages come from the npm cache where it has them (`--prefer-offline`), the registry otherwise.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
/** The environment of a user's shell, not of the npm script running this one. */
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));

/** Every package under `dir`/node_modules, scoped ones as `@scope/name`. */
async function packages(dir) {
  const names = [];
  for (const entry of await readdir(join(dir, 'node_modules'))) {
    if (entry.startsWith('.')) continue;
    if (!entry.startsWith('@')) names.push(entry);
    else for (const inner of await readdir(join(dir, 'node_modules', entry))) names.push(`${entry}/${inner}`);
  }
  return names;
}

/** Installs `tarball` alone into a fresh project; its node_modules size, packages and npm's warnings. */
export async function installSize(tarball) {
  const dir = await mkdtemp(join(tmpdir(), 'descry-install-size-'));
  try {
    await writeFile(
      join(dir, 'package.json'),
      '{ "name": "descry-install-size", "private": true, "type": "module" }\n',
    );
    const install = await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], {
      cwd: dir,
      env,
      maxBuffer: 16 << 20,
    });
    const human = (await exec('du', ['-sh', 'node_modules'], { cwd: dir })).stdout.split(/\s/)[0];
    const bytes = Number((await exec('du', ['-sb', 'node_modules'], { cwd: dir })).stdout.split(/\s/)[0]);
    const warnings = `${install.stdout}\n${install.stderr}`
      .split('\n')
      .filter((line) => /npm warn/i.test(line));
    return { human, bytes, packages: await packages(dir), warnings };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `npm pack` of this repository into a temporary folder; the tarball's path. */
async function packHere() {
  const dir = await mkdtemp(join(tmpdir(), 'descry-install-size-pack-'));
  const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: root,
    env: { ...env, npm_config_loglevel: 'error' },
    maxBuffer: 64 << 20,
  });
  const [packed] = JSON.parse(stdout.slice(stdout.search(/^\[\s*\{/m)));
  return join(dir, packed.filename);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const tarballs = process.argv.slice(2).map((path) => resolve(path));
  const packed = tarballs.length === 0 ? await packHere() : undefined;
  if (packed) tarballs.push(packed);
  for (const tarball of tarballs) {
    const size = await installSize(tarball);
    console.log(
      `${tarball}: node_modules ${size.human} (du -sh), ${(size.bytes / 1e6).toFixed(1)} MB apparent, ${size.packages.length} packages`,
    );
    console.log(`  packages: ${size.packages.join(' ')}`);
    console.log(
      `  npm warnings: ${size.warnings.length === 0 ? 'none' : `\n    ${size.warnings.join('\n    ')}`}`,
    );
  }
  if (packed) await rm(dirname(packed), { recursive: true, force: true });
}
