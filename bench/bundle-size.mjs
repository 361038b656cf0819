#!/usr/bin/env node
/**
 * Size of the Worker upload: `wrangler deploy --dry-run --outdir dist/worker` builds exactly what
 * would be uploaded (script, Data modules with the embedded .onnx files, compiled wasm), summed
 * uncompressed against the 64 MiB every Workers plan allows (bench/edge/bundle-size.ts counts the
 * same way for the photo-scale models). Each module's gzip size is shown too: what the upload
 * transfers.
 *
 *   node bench/bundle-size.mjs            # exits 1 over 64 MiB
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'worker');
/** Every Workers plan: 64 MiB uncompressed. */
const LIMIT = 64 * 1024 * 1024;

rmSync(outdir, { recursive: true, force: true });
const wrangler = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');
const build = spawnSync(process.execPath, [wrangler, 'deploy', '--dry-run', '--outdir', outdir], {
  cwd: root,
  encoding: 'utf8',
  env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
});
if (build.status !== 0) {
  console.error(build.stdout, build.stderr);
  process.exit(build.status ?? 1);
}

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
const rows = files(outdir)
  .filter((path) => !path.endsWith('.map') && !path.endsWith('README.md'))
  .map((path) => {
    const bytes = readFileSync(path);
    return { file: relative(outdir, path), raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  })
  .sort((a, b) => b.gzip - a.gzip);

const total = rows.reduce((sum, row) => ({ raw: sum.raw + row.raw, gzip: sum.gzip + row.gzip }), {
  raw: 0,
  gzip: 0,
});
console.log('module'.padEnd(60), 'raw'.padStart(10), 'gzip'.padStart(10));
for (const row of rows) console.log(row.file.padEnd(60), mb(row.raw).padStart(10), mb(row.gzip).padStart(10));
console.log('total'.padEnd(60), mb(total.raw).padStart(10), mb(total.gzip).padStart(10));
console.log(
  `total ${mb(total.raw)} uncompressed (${mb(total.gzip)} gzip): ` +
    `${total.raw <= LIMIT ? 'within' : 'OVER'} the 64 MiB every Workers plan allows`,
);
process.exit(total.raw <= LIMIT ? 0 : 1);
