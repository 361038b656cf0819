/**
 * The runtimes Descry is tested in, from the packed tarball: one row per runtime, naming the test
 * suite that proves it. The tests take their suite names from here (outside.node.test.ts,
 * runtimes.node.test.ts: `describe(RUNTIMES.deno.suite, …)`), so a row cannot name a test that does
 * not exist; the README's runtime table is generated from these rows (scripts/generated-docs.ts,
 * region `runtimes`; `npm run readme:sync`), with the versions of the runtimes this repository
 * locks (node_modules), so a runtime upgraded without `readme:sync` fails
 * tests/package/generated-docs.node.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../../..', import.meta.url).pathname;

/** The version of `name` installed here (the one the tests run). */
function version(name: string): string {
  return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
}

export interface RuntimeRow {
  /** The runtime, as a user names it. */
  runtime: string;
  /** What the test runs it with. */
  testedWith: () => string;
  /** The build of `descry` its export conditions select. */
  build: string;
  /** What the test does with the installed tarball. */
  checks: string;
  /** The test file (under tests/package) and its suite (a `describe` title). */
  file: 'outside.node.test.ts' | 'runtimes.node.test.ts';
  suite: string;
}

export const RUNTIMES = {
  sdk: {
    runtime: 'Node.js 22.12+, the SDK alone',
    testedWith: () => `node ${version('node')}, \`npm install <tarball>\` and nothing else`,
    build: '`node`',
    checks:
      'classifies; installs no LLM, server or CLI package; their features throw `DependencyMissingError` naming what to install; `tsc` with only @types/node, `skipLibCheck: false`',
    file: 'outside.node.test.ts',
    suite: 'the SDK installed alone',
  },
  node: {
    runtime: 'Node.js 22.12+',
    testedWith: () => `node ${version('node')}`,
    build: '`node`',
    checks:
      'classifies; serves the API from `descry/server`; `npx descry classify`; `tsc` over every Node entry, `skipLibCheck: false`',
    file: 'outside.node.test.ts',
    suite: 'a Node project',
  },
  oldNode: {
    runtime: 'Node.js before 22.12',
    testedWith: () => "the system's node (`/usr/bin/node`, 20.x)",
    build: '`node`',
    checks: 'not supported: the library and the command stop with a message naming the version and the fix',
    file: 'outside.node.test.ts',
    suite: 'the SDK installed alone',
  },
  browser: {
    runtime: 'Browsers, through a bundler',
    testedWith: () => `vite ${version('vite')}, Chromium`,
    build: '`browser`',
    checks:
      '`vite build` with no configuration, classifies in Chromium; `tsc` with the DOM library only, `skipLibCheck: false`',
    file: 'outside.node.test.ts',
    suite: 'a Vite app',
  },
  workers: {
    runtime: 'Cloudflare Workers',
    testedWith: () => `wrangler ${version('wrangler')} (workerd)`,
    build: '`workerd`',
    checks:
      '`wrangler deploy --dry-run` with no warning (no `node:` import, no `nodejs_compat`); `wrangler dev --local` answers /v1/classify; `tsc` with @cloudflare/workers-types, `skipLibCheck: false`',
    file: 'outside.node.test.ts',
    suite: 'a Workers project',
  },
  deno: {
    runtime: 'Deno',
    testedWith: () => `deno ${version('deno')}`,
    build: '`node` (npm packages in Deno)',
    checks: 'classifies; serves `descry/app` through `Deno.serve`',
    file: 'runtimes.node.test.ts',
    suite: 'Deno',
  },
  bun: {
    runtime: 'Bun',
    testedWith: () => `bun ${version('bun')}`,
    build: '`node`',
    checks: 'classifies; serves `descry/app` through `Bun.serve`',
    file: 'runtimes.node.test.ts',
    suite: 'Bun',
  },
  edge: {
    runtime: "Vercel's Edge runtime",
    testedWith: () => `edge-runtime ${version('edge-runtime')}, esbuild ${version('esbuild')}`,
    build: '`worker` (the `edge-light`, `worker` conditions)',
    checks: '`descry/app` bundled into one fetch-event script, served by edge-runtime, answers /v1/classify',
    file: 'runtimes.node.test.ts',
    suite: "Vercel's Edge runtime",
  },
  lambda: {
    runtime: 'AWS Lambda (nodejs22.x)',
    testedWith: () => `node ${version('node')}, hono ${version('hono')} \`hono/aws-lambda\``,
    build: '`node`',
    checks: 'the handler answers an API Gateway (payload 2.0) event for /v1/classify',
    file: 'runtimes.node.test.ts',
    suite: 'AWS Lambda',
  },
} satisfies Record<string, RuntimeRow>;

/** The README's runtime table (Markdown). */
export function runtimeTable(): string {
  return [
    '| runtime | tested with | build | what `npm test` does with the packed tarball | test |',
    '| --- | --- | --- | --- | --- |',
    ...Object.values(RUNTIMES).map(
      (row: RuntimeRow) =>
        `| ${row.runtime} | ${row.testedWith()} | ${row.build} | ${row.checks} | tests/package/${row.file} › ${row.suite} |`,
    ),
  ].join('\n');
}
