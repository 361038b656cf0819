/**
 * The package as users get it. `npm pack` (which builds dist/ through `prepack`), then the tarball
 * is installed into three fresh projects outside the repository (tests/package/projects), each
 * with nothing but the tarball and its own tools, from the npm cache (the registry only for what
 * the cache lacks), and used as a person would:
 * - Node: plain `node` classifies with `descry` and the embedded model, and serves the API from
 *   `descry/server`; `npx descry classify`; tsc checks every entry point against the shipped .d.ts.
 * - Vite: an app importing `descry`, built by `vite build`, served by `vite preview`, classifies
 *   an image in Chromium.
 * - Workers: `createWorker` from `descry/worker` under `wrangler dev --local` answers /v1/classify.
 * The image and labels are a committed evaluation image the embedded model gets right.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a script in plain JavaScript
import { WRANGLER_OFFLINE } from '../../scripts/wrangler-dev.mjs';
import { launchChromium } from '../browser/support/chromium.js';
import { fixtureChoice } from '../support/fixture-choice.js';

const root = new URL('../..', import.meta.url).pathname;
const projects = join(root, 'tests', 'package', 'projects');
const fixtures = join(root, 'tests', 'fixtures', 'openmoji-eval');

/**
 * The environment of a user's shell: this repository's Node 22 first on PATH, and nothing of the
 * npm script and test runner around this test (npm_* settings would point npm at the repository,
 * NODE_ENV=test would change how Vite builds and Wrangler serves).
 */
const userEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(npm_|VITEST|NODE_ENV$|INIT_CWD$|TEST$)/i.test(name)),
);
userEnv.PATH = [dirname(process.execPath), process.env.PATH].join(delimiter);

/** The versions this repository is tested with, so the outside projects use the same tools. */
async function lockedVersion(name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(root, 'node_modules', name, 'package.json'), 'utf8'));
  return manifest.version as string;
}

async function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = userEnv,
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await promisify(execFile)(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}\n${stdout ?? ''}\n${stderr ?? ''}`, {
      cause: error,
    });
  }
}

/** A server started in its own process group; resolves with the URL its output announces. */
function serve(
  command: string,
  args: string[],
  cwd: string,
  ready: RegExp,
  env: NodeJS.ProcessEnv = userEnv,
): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "ready" line in 120 s:\n${output}`)), 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal colours
      const match = output.replace(/\u001b\[[0-9;]*m/g, '').match(ready);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1]!, child, output: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
}

function stop(child: ChildProcess | undefined): void {
  if (child?.pid && child.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

/** Copies a project folder to a fresh directory and installs the tarball plus `tools` into it. */
async function project(name: string, tarball: string, tools: string[]): Promise<string> {
  const dir = join(work, name);
  await cp(join(projects, name), dir, { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: `descry-outside-${name}`, private: true, type: 'module' }, null, 2)}\n`,
  );
  await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, ...tools],
    dir,
  );
  return dir;
}

/** The command's results, printed as one JSON array or as JSON Lines. */
function cliResults(stdout: string): Array<{ predictions: Array<{ label: string }> }> {
  const text = stdout.trim();
  if (text.startsWith('[')) return JSON.parse(text);
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

let work: string;
let tarball: string;
let packed: { size: number; unpackedSize: number; entryCount: number; files: Array<{ path: string }> };
let nodeApp: string;
let viteApp: string;
let workerApp: string;
const children: ChildProcess[] = [];
const fixture = await fixtureChoice();
const imagePath = join(fixtures, fixture.file);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'descry-outside-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], root, {
    ...userEnv,
    npm_config_loglevel: 'error',
  });
  // The build's own log may come first: the report is the JSON array at the end.
  [packed] = JSON.parse(stdout.slice(stdout.search(/^\[\s*\{/m)));
  tarball = join(work, (packed as unknown as { filename: string }).filename);
  const [vite, wrangler, typescript, typesNode] = await Promise.all(
    ['vite', 'wrangler', 'typescript', '@types/node'].map(lockedVersion),
  );
  // Three installs at once: they share the npm cache, and mostly wait on the disk.
  [nodeApp, viteApp, workerApp] = await Promise.all([
    project('node', tarball, [`typescript@${typescript}`, `@types/node@${typesNode}`]),
    project('vite', tarball, [`vite@${vite}`]),
    project('workers', tarball, [`wrangler@${wrangler}`]),
  ]);
}, 900_000);

afterAll(async () => {
  for (const child of children) stop(child);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the npm tarball', () => {
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
  });
});

describe('a Node project', () => {
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
    expect(JSON.parse(stdout)).toEqual({ status: 200, model: 'emoji-clip', top: fixture.entry.name });
  });

  it('runs `npx descry classify` on the embedded model by default', async () => {
    const { stdout } = await run(
      'npx',
      ['--no-install', 'descry', 'classify', '--labels', fixture.candidates.join(','), imagePath],
      nodeApp,
    );
    expect(cliResults(stdout)[0]?.predictions[0]?.label).toBe(fixture.entry.name);
  });

  it('typechecks every entry point against the shipped .d.ts', async () => {
    await run(join(nodeApp, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], nodeApp);
  });
});

describe('a Vite app', () => {
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

describe('a Workers project', () => {
  it('serves the Hono app from `descry/worker` under `wrangler dev --local`', async () => {
    const server = await serve(
      'node',
      [
        join(workerApp, 'node_modules', 'wrangler', 'bin', 'wrangler.js'),
        'dev',
        '--local',
        '--ip',
        '127.0.0.1',
        '--port',
        '0',
      ],
      workerApp,
      /Ready on (http:\/\/127\.0\.0\.1:\d+)/,
      // Offline, as `npm start` runs it: no telemetry, the placeholder `Request.cf`.
      { ...userEnv, ...WRANGLER_OFFLINE, CI: 'true' },
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
