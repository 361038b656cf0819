/**
 * The package as users get it. `npm pack` (which builds dist/ through `prepack`), then the tarball
 * is installed into fresh projects outside the repository (tests/package/projects), each with
 * nothing but the tarball and its own tools, from the npm cache (the registry only for what the
 * cache lacks), and used as a person would:
 * - the tarball: its files; publint and @arethetypeswrong/cli (attw) on it.
 * - SDK alone (`sdk/`): `npm install <tarball>` and nothing else installs no LLM, server or CLI
 *   package and no telemetry install script; it classifies; the features whose packages are
 *   optional peers throw a DependencyMissingError naming them (the command prints them); tsc
 *   checks the SDK's .d.ts with only @types/node (skipLibCheck off); Node 20 (the system's
 *   /usr/bin/node) gets a message naming the version and the fix, from the library and the command.
 * - Node (`node/`): with the server's and the command's optional peers, plain `node` classifies
 *   with `descry` and serves the API from `descry/server`; `npx descry classify`; tsc checks every
 *   Node entry point (skipLibCheck off).
 * - Vite (`vite/`): tsc checks the browser's entry points with the DOM library only; `vite build`
 *   of an app importing `descry`, served by `vite preview`, classifies an image in Chromium.
 * - Workers (`workers/`): tsc checks `descry/worker` with @cloudflare/workers-types;
 *   `wrangler deploy --dry-run` bundles it without a warning; `createWorker` under `wrangler dev
 *   --local` answers /v1/classify.
 * The image and labels are a committed evaluation image the embedded model gets right.
 * Deno, Bun, Vercel's Edge runtime and AWS Lambda: runtimes.node.test.ts.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a script in plain JavaScript
import { WRANGLER_OFFLINE } from '../../scripts/wrangler-dev.mjs';
import { launchChromium } from '../browser/support/chromium.js';
import { fixtureChoice } from '../support/fixture-choice.js';
import {
  locked,
  outcome,
  type Packed,
  packTarball,
  project,
  projects,
  root,
  run,
  SLOW,
  serve,
  stop,
  userEnv,
} from './support/outside.js';
import { RUNTIMES } from './support/runtimes.js';

const fixtures = join(root, 'tests', 'fixtures', 'openmoji-eval');
const readme = await readFile(join(root, 'README.md'), 'utf8');

/** The optional peers: the LLM sources', the HTTP service's and the command line's packages. */
const LLM_PEERS = ['ai', '@ai-sdk/openai-compatible', 'workers-ai-provider'];
const SERVER_PEERS = ['hono', '@hono/zod-openapi', '@hono/node-server', 'prom-client'];
const CLI_PEERS = ['commander', 'cli-progress'];

/** The command's results, printed as one JSON array or as JSON Lines. */
function cliResults(stdout: string): Array<{ predictions: Array<{ label: string }> }> {
  const text = stdout.trim();
  if (text.startsWith('[')) return JSON.parse(text);
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

/** Every package installed under `dir`/node_modules, scoped ones as `@scope/name`. */
async function installed(dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdir(join(dir, 'node_modules'))) {
    if (entry.startsWith('.')) continue;
    if (!entry.startsWith('@')) names.push(entry);
    else for (const inner of await readdir(join(dir, 'node_modules', entry))) names.push(`${entry}/${inner}`);
  }
  return names;
}

let work: string;
let tarball: string;
let packed: Packed;
let sdkApp: string;
let sdkInstall: { stdout: string; stderr: string };
let sdkSize: string;
let sdkPackages: string[];
let nodeApp: string;
let viteApp: string;
let workerApp: string;
const children: ChildProcess[] = [];
const fixture = await fixtureChoice();
const imagePath = join(fixtures, fixture.file);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'descry-outside-'));
  ({ tarball, packed } = await packTarball(work));
  const [typescript, typesNode, vite, wrangler, workersTypes] = await locked(
    'typescript',
    '@types/node',
    'vite',
    'wrangler',
    '@cloudflare/workers-types',
  );
  const [server, cli] = await Promise.all([locked(...SERVER_PEERS), locked(...CLI_PEERS)]);
  const [hono, zodOpenApi] = server;
  // Four installs at once: they share the npm cache, and mostly wait on the disk.
  let sdk: Awaited<ReturnType<typeof project>>;
  [sdk, { dir: nodeApp }, { dir: viteApp }, { dir: workerApp }] = await Promise.all([
    project(work, 'sdk', [tarball]),
    project(work, 'node', [tarball, typescript!, typesNode!, ...server, ...cli]),
    project(work, 'vite', [tarball, vite!, typescript!]),
    project(work, 'workers', [tarball, wrangler!, hono!, zodOpenApi!, typescript!, workersTypes!]),
  ]);
  ({ dir: sdkApp, install: sdkInstall } = sdk);
  sdkSize = (await run('du', ['-sh', 'node_modules'], sdkApp)).stdout.split(/\s/)[0]!;
  sdkPackages = await installed(sdkApp);
  // The types check needs a compiler: installed after the size was measured.
  await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-save', typescript!],
    sdkApp,
  );
  await cp(join(projects, 'node', 'classify.mjs'), join(sdkApp, 'classify.mjs'));
}, 900_000);

afterAll(async () => {
  for (const child of children) stop(child);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the npm tarball', { timeout: SLOW }, () => {
  it('holds the built code, the embedded model and the licences, and no sources, tests or data', () => {
    const files = packed.files.map((f) => f.path);
    for (const file of [
      'package.json',
      'README.md',
      'LICENSE',
      'THIRD_PARTY_NOTICES.md',
      'dist/node.js',
      'dist/node.d.ts',
      'dist/workerd.js.map',
      'dist/worker/index.js.map',
      'dist/workerd.js',
      'dist/browser.js',
      'dist/worker/index.js',
      'dist/worker/app.js',
      'dist/cli/bin.js',
      'dist/cli/descry.js',
      'models/emoji-clip/onnx/text_model.onnx',
      'models/emoji-clip/onnx/vision_model.onnx',
      'models/emoji-clip/tokenizer.json',
      'models/emoji-clip/LICENSE',
      'models/emoji-clip/NOTICE',
      'models/emoji-clip/ATTRIBUTION.md',
    ]) {
      expect(files).toContain(file);
    }
    const unexpected = files.filter(
      (f) =>
        !/^(dist\/|models\/emoji-clip\/|package\.json$|README\.md$|LICENSE$|THIRD_PARTY_NOTICES\.md$)/.test(
          f,
        ),
    );
    expect(unexpected).toEqual([]);
    expect(files).not.toContain('models/emoji-clip/onnx/model.onnx');
    console.log(
      `descry tarball: ${(packed.size / 1e6).toFixed(2)} MB packed, ${(packed.unpackedSize / 1e6).toFixed(2)} MB unpacked, ${packed.entryCount} files`,
    );
    // The README quotes these figures: the model's exactly, the tarball's within 5% (any change of
    // code moves them a little; a stale figure, like 3.6 MB for a 4.3 MB tarball, fails).
    const modelBytes = packed.files
      .filter((f) => /^models\/emoji-clip\/onnx\/(text|vision)_model\.onnx$/.test(f.path))
      .reduce((sum, f) => sum + f.size, 0);
    const quoted =
      /The tarball is ([\d.]+) MB\s+\(([\d.]+) MB unpacked, (\d+) files;[^)]*\), the model's two\s+ONNX files ([\d.]+) MB/.exec(
        readme,
      );
    expect(
      quoted,
      'README: "The tarball is … MB (… MB unpacked, … files; …), the model\'s two ONNX files … MB"',
    ).not.toBeNull();
    const [, size, unpacked, count, model] = quoted!.map(Number);
    expect(model).toBe(Number((modelBytes / 1e6).toFixed(2)));
    expect(Math.abs(size! * 1e6 - packed.size) / packed.size).toBeLessThan(0.05);
    expect(Math.abs(unpacked! * 1e6 - packed.unpackedSize) / packed.unpackedSize).toBeLessThan(0.05);
    expect(Math.abs(count! - packed.entryCount) / packed.entryCount).toBeLessThan(0.1);
  });

  it('passes publint (strict) and attw (ESM-only profile: no CommonJS entry is offered)', async () => {
    const bin = join(root, 'node_modules', '.bin');
    const lint = await outcome(join(bin, 'publint'), ['run', tarball, '--strict'], work);
    console.log(lint.stdout, lint.stderr);
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    expect(lint.stdout).not.toMatch(/^(Errors|Warnings):/m);
    const types = await outcome(
      join(bin, 'attw'),
      [tarball, '--profile', 'esm-only', '--format', 'table-flipped', '--no-emoji', '--no-color'],
      work,
    );
    console.log(types.stdout, types.stderr);
    expect(types.code, types.stdout + types.stderr).toBe(0);
  });
});

describe(RUNTIMES.sdk.suite, { timeout: SLOW }, () => {
  it('installs no LLM, server or command-line package and runs no telemetry install script', async () => {
    const names = sdkPackages;
    for (const peer of [...LLM_PEERS, ...SERVER_PEERS, ...CLI_PEERS, 'swagger-ui-dist', '@scarf/scarf']) {
      expect(names, peer).not.toContain(peer);
    }
    const log = `${sdkInstall.stdout}${sdkInstall.stderr}`;
    expect(log).not.toMatch(/@scarf\/scarf|swagger-ui-dist/);
    // npm 11 names every package with an install script its allowScripts does not cover. The one
    // left is protobufjs's version check (`postinstall`), a dependency of onnxruntime-web, the
    // engine itself: every protobufjs 7 has it, and onnxruntime-web needs ^7.
    const scripts = [...log.matchAll(/^npm warn install-scripts\s+(@?[\w./-]+)@[\w.-]+ \(/gm)].map(
      ([, name]) => name,
    );
    expect(scripts.filter((name) => name !== 'protobufjs')).toEqual([]);
    console.log(`SDK alone: npm names install scripts of ${scripts.length ? scripts.join(', ') : 'none'}`);
    // The README quotes this figure (`du -sh node_modules` after `npm install <tarball>`).
    console.log(`SDK alone: node_modules ${sdkSize}, ${names.length} packages: ${names.join(' ')}`);
  });

  it('classifies an image with plain node', async () => {
    const { stdout } = await run('node', ['classify.mjs', imagePath, fixture.candidates.join(',')], sdkApp);
    expect(JSON.parse(stdout)).toEqual({
      model: 'emoji-clip',
      top: fixture.entry.name,
      sharedErrorClass: true,
    });
  });

  it('names the optional peers a feature needs, with a typed error', async () => {
    const { stdout } = await run('node', ['missing.mjs'], sdkApp);
    const report = JSON.parse(stdout);
    expect(report.llm).toMatchObject({ typed: true, code: 'dependency_missing' });
    expect(report.llm.message).toContain('npm install ai @ai-sdk/openai-compatible');
    expect(report.server).toMatchObject({ typed: true, code: 'dependency_missing' });
    expect(report.server.message).toContain(`npm install ${SERVER_PEERS.join(' ')}`);
    const cli = await outcome(
      'npx',
      ['--no-install', 'descry', 'classify', '--labels', 'a,b', imagePath],
      sdkApp,
    );
    expect(cli.code).toBe(1);
    expect(cli.stderr.trim()).toBe(
      `descry: the command line needs ${CLI_PEERS.join(' and ')} (optional peer dependencies of descry): npm install ${CLI_PEERS.join(' ')}`,
    );
  });

  it('typechecks with only @types/node and skipLibCheck off', async () => {
    const result = await outcome(
      join(sdkApp, 'node_modules', '.bin', 'tsc'),
      ['-p', 'tsconfig.json'],
      sdkApp,
    );
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  const systemNode = '/usr/bin/node';
  const oldNode = existsSync(systemNode) ? systemNode : undefined;
  it.runIf(oldNode)(
    'tells Node older than 22.12 which version it needs, from the library and the command',
    async () => {
      const version = (await run(systemNode, ['--version'], sdkApp)).stdout.trim();
      const [major = 0, minor = 0] = version.slice(1).split('.').map(Number);
      if (major > 22 || (major === 22 && minor >= 12)) return; // this machine's Node is recent: nothing to see
      const expected = `descry needs Node.js 22.12 or later; this is Node.js ${version.slice(1)} (${systemNode}). Install a current Node.js (https://nodejs.org/, or \`nvm install 22\`) and run it with that.`;
      const library = await outcome(systemNode, ['classify.mjs', imagePath, 'a,b'], sdkApp);
      expect(library.code).toBe(1);
      expect(library.stderr).toContain(`UnsupportedNodeError]: ${expected}`);
      const command = await outcome(
        systemNode,
        [join('node_modules', '.bin', 'descry'), 'classify', imagePath],
        sdkApp,
      );
      expect(command.code).toBe(1);
      expect(command.stderr.trim()).toBe(`descry: ${expected}`);
      console.log(`Node ${version}, the library:\n${library.stderr}\nthe command:\n${command.stderr}`);
    },
  );
});

describe(RUNTIMES.node.suite, { timeout: SLOW }, () => {
  it('classifies an image with plain node, one copy of the SDK across entry points', async () => {
    const { stdout } = await run('node', ['classify.mjs', imagePath, fixture.candidates.join(',')], nodeApp);
    expect(JSON.parse(stdout)).toEqual({
      model: 'emoji-clip',
      top: fixture.entry.name,
      sharedErrorClass: true,
    });
  });

  it('serves the HTTP API from `descry/server` on the embedded model by default', async () => {
    const { stdout } = await run('node', ['serve.mjs', imagePath, fixture.candidates.join(',')], nodeApp);
    // The service's access log (a JSON line a request) comes first; the script's answer is the last line.
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
      status: 200,
      model: 'emoji-clip',
      top: fixture.entry.name,
    });
  });

  it('runs `npx descry classify` on the embedded model by default', async () => {
    const { stdout } = await run(
      'npx',
      ['--no-install', 'descry', 'classify', '--labels', fixture.candidates.join(','), imagePath],
      nodeApp,
    );
    expect(cliResults(stdout)[0]?.predictions[0]?.label).toBe(fixture.entry.name);
  });

  it('typechecks every Node entry point against the shipped .d.ts, skipLibCheck off', async () => {
    const result = await outcome(
      join(nodeApp, 'node_modules', '.bin', 'tsc'),
      ['-p', 'tsconfig.json'],
      nodeApp,
    );
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe(RUNTIMES.browser.suite, { timeout: SLOW }, () => {
  it('typechecks the browser entry points with the DOM library only, skipLibCheck off', async () => {
    const result = await outcome(
      join(viteApp, 'node_modules', '.bin', 'tsc'),
      ['-p', 'tsconfig.json'],
      viteApp,
    );
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('builds, and classifies an image in Chromium from `vite preview`', async () => {
    await cp(imagePath, join(viteApp, 'image.png'));
    const { stdout } = await run(join(viteApp, 'node_modules', '.bin', 'vite'), ['build'], viteApp);
    // ONNX Runtime's wasm and the model's graphs are assets of the built app, found by the bundler.
    expect(stdout).toMatch(/ort-wasm-simd-threaded-[\w-]+\.wasm/);
    expect(stdout).toMatch(/vision_model-[\w-]+\.onnx/);
    // The README quotes these sizes.
    console.log(
      stdout
        .split('\n')
        .filter((line) => /\.(wasm|onnx)\s/.test(line))
        .join('\n'),
    );

    const server = await serve(
      join(viteApp, 'node_modules', '.bin', 'vite'),
      ['preview', '--host', '127.0.0.1', '--port', '0', '--strictPort'],
      viteApp,
      /Local:\s+(http:\/\/127\.0\.0\.1:\d+)\//,
    );
    children.push(server.child);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${server.url}/?labels=${encodeURIComponent(fixture.candidates.join(','))}`);
      await page.waitForFunction(() => document.querySelector('#result')?.textContent !== 'loading', null, {
        timeout: 120_000,
      });
      const result = JSON.parse((await page.textContent('#result')) ?? '{}');
      expect(errors).toEqual([]);
      expect(result).toEqual({ model: 'emoji-clip', top: fixture.entry.name });
    } finally {
      await browser.close();
      stop(server.child);
    }
  });
});

describe(RUNTIMES.workers.suite, { timeout: SLOW }, () => {
  const wranglerEnv = () => ({ ...userEnv, ...WRANGLER_OFFLINE, CI: 'true' });
  const wrangler = () => join(workerApp, 'node_modules', 'wrangler', 'bin', 'wrangler.js');

  it('typechecks `descry/worker` and the bindings with @cloudflare/workers-types, skipLibCheck off', async () => {
    const result = await outcome(
      join(workerApp, 'node_modules', '.bin', 'tsc'),
      ['-p', 'tsconfig.json'],
      workerApp,
    );
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('builds with `wrangler deploy --dry-run` without a warning (no node: module, no unresolved import)', async () => {
    const result = await outcome(
      'node',
      [wrangler(), 'deploy', '--dry-run', '--outdir', join(work, 'worker-build')],
      workerApp,
      wranglerEnv(),
    );
    const log = result.stdout + result.stderr;
    console.log(log);
    expect(result.code, log).toBe(0);
    const upload = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(log);
    expect(upload, log).not.toBeNull();
    // The README quotes the upload within 5%, against the 64 MiB limit.
    const [, total, gzip] = upload!.map(Number);
    const quoted = /([\d.]+) MiB \(([\d.]+) MiB gzip; `wrangler deploy --dry-run`/.exec(readme);
    expect(quoted, 'README: "… MiB (… MiB gzip; `wrangler deploy --dry-run` …"').not.toBeNull();
    expect(Math.abs(Number(quoted![1]) * 1024 - total!) / total!).toBeLessThan(0.05);
    expect(Math.abs(Number(quoted![2]) * 1024 - gzip!) / gzip!).toBeLessThan(0.05);
    expect(total! / 1024).toBeLessThan(64);
    expect(log).not.toMatch(/\[WARNING\]|\[ERROR\]|node:zlib|nodejs_compat/);
  });

  it('serves the Hono app from `descry/worker` under `wrangler dev --local`', async () => {
    const server = await serve(
      'node',
      [wrangler(), 'dev', '--local', '--ip', '127.0.0.1', '--port', '0'],
      workerApp,
      /Ready on (http:\/\/127\.0\.0\.1:\d+)/,
      // Offline, as `npm start` runs it: no telemetry, the placeholder `Request.cf`.
      wranglerEnv(),
    );
    children.push(server.child);
    try {
      const form = new FormData();
      form.append(
        'image',
        new Blob([new Uint8Array(await readFile(imagePath))], { type: 'image/png' }),
        fixture.file,
      );
      form.append('labels', fixture.candidates.join(','));
      const response = await fetch(`${server.url}/v1/classify`, { method: 'POST', body: form });
      const body = (await response.json()) as {
        model: string;
        results: Array<{ predictions: Array<{ label: string }> }>;
      };
      expect(response.status, JSON.stringify(body)).toBe(200);
      expect(body.model).toBe('emoji-clip');
      expect(body.results[0]?.predictions[0]?.label).toBe(fixture.entry.name);
      expect(server.output()).not.toMatch(/ENOTFOUND|\[ERROR\]/);
    } finally {
      stop(server.child);
    }
  });
});
