#!/usr/bin/env node
/**
 * Builds the demo page (examples/web, Vite) into examples/web/dist: the page `npm start` serves at
 * `/`, and the Worker's static assets (wrangler.toml `[assets]`, whose `[build]` runs this with
 * `--if-stale` before `wrangler dev` and `wrangler deploy`).
 *
 *   node scripts/build-web.mjs [--if-stale]
 *
 * `--if-stale` builds only when something the page is made of changed after the last build, so
 * that starting the service stays fast (a build takes a few seconds; the check, milliseconds).
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The build's folder. */
export const WEB_DIST = join(root, 'examples', 'web', 'dist');

/** What the page is made of: its sources, the SDK, the model, the samples, the dependencies. */
const INPUTS = [
  'examples/web',
  'sdk',
  'entry-points.ts',
  'worker/http/docs-page.ts',
  'models/emoji-clip',
  'tests/fixtures/openmoji-eval',
  'package-lock.json',
  'scripts/build-web.mjs',
];

function newestMtime(path) {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (!stats) return 0;
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (path === join(root, 'examples', 'web') && entry === 'dist') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** Whether the build is missing or older than one of its inputs. */
export function webBuildIsStale() {
  const built = statSync(join(WEB_DIST, 'index.html'), { throwIfNoEntry: false });
  if (!built) return true;
  return INPUTS.some((input) => newestMtime(join(root, input)) > built.mtimeMs);
}

/** Build the page; resolves to the build's folder. */
export async function buildWeb() {
  const { build } = await import('vite');
  await build({ configFile: join(root, 'examples', 'web', 'vite.config.ts') });
  return WEB_DIST;
}

/** Build the page unless the last build is up to date; resolves to whether it built. */
export async function buildWebIfStale() {
  if (!webBuildIsStale()) return false;
  await buildWeb();
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  let built = true;
  if (process.argv.includes('--if-stale')) built = await buildWebIfStale();
  else await buildWeb();
  const took = `${((performance.now() - started) / 1000).toFixed(1)} s`;
  console.log(
    built ? `built the demo page in ${took}: ${WEB_DIST}` : `the demo page is up to date: ${WEB_DIST}`,
  );
}
