/**
 * What the tests of the package as users get it share (outside.node.test.ts, runtimes.node.test.ts):
 * packing the tarball, fresh projects outside the repository that install it, a user's
 * environment, and running commands and servers in them.
 *
 * `npm pack` builds dist/ (`prepack`). Test files run at once, and two builds into dist/ at once
 * would break each other, so {@link packTarball} takes a lock (a directory, created atomically)
 * around the build: each file packs its own tarball, one after the other.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';

export const root = new URL('../../..', import.meta.url).pathname;
export const projects = join(root, 'tests', 'package', 'projects');

/**
 * Time for one step of a user's (tsc over the package's .d.ts, a Vite or wrangler build, a server
 * starting): a minute on a quiet machine, several on a busy 2-vCPU one.
 */
export const SLOW = 300_000;

/**
 * The environment of a user's shell: this repository's Node 22 first on PATH, and nothing of the
 * npm script and test runner around this test (npm_* settings would point npm at the repository,
 * NODE_ENV=test would change how Vite builds and Wrangler serves).
 */
export const userEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(npm_|VITEST|NODE_ENV$|INIT_CWD$|TEST$)/i.test(name)),
);
userEnv.PATH = [dirname(process.execPath), process.env.PATH].join(delimiter);

/** The versions this repository is tested with, so the outside projects use the same tools. */
export async function lockedVersion(name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(root, 'node_modules', name, 'package.json'), 'utf8'));
  return manifest.version as string;
}

/** `name@version` as locked here, for each name. */
export async function locked(...names: string[]): Promise<string[]> {
  return Promise.all(names.map(async (name) => `${name}@${await lockedVersion(name)}`));
}

/** A command's outcome, whatever its exit code. */
export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; resolves with its exit code and output (it never rejects on a failed exit). */
export async function outcome(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = userEnv,
): Promise<Outcome> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, {
      cwd,
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof code !== 'number') throw error;
    return { code, stdout: stdout ?? '', stderr: stderr ?? '' };
  }
}

/** Runs a command that must succeed; its output. */
export async function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = userEnv,
): Promise<{ stdout: string; stderr: string }> {
  const result = await outcome(command, args, cwd, env);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited with ${result.code} in ${cwd}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

/** A server started in its own process group; resolves with the URL its output announces. */
export function serve(
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

/** Ends a server started by {@link serve} (its whole process group). */
export function stop(child: ChildProcess | undefined): void {
  if (child?.pid && child.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

/** What `npm pack --json` reports of the tarball. */
export interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: Array<{ path: string; size: number }>;
}

const LOCK = join(tmpdir(), 'descry-pack.lock');

/** Holds the build lock while `work` runs; a lock left by a process that is gone is taken over. */
async function withPackLock<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      await mkdir(LOCK);
      await writeFile(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(await readFile(join(LOCK, 'pid'), 'utf8').catch(() => '0'));
      const alive =
        holder > 0 &&
        (() => {
          try {
            process.kill(holder, 0);
            return true;
          } catch {
            return false;
          }
        })();
      const age = Date.now() - (await stat(LOCK).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (!alive && age > 5_000) await rm(LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`${LOCK} held by process ${holder} for 10 minutes`);
      else await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
  try {
    return await work();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

/** `npm pack` into `destination` (building dist/ first, under the lock); the tarball's path and report. */
export async function packTarball(destination: string): Promise<{ tarball: string; packed: Packed }> {
  const { stdout } = await withPackLock(() =>
    run('npm', ['pack', '--json', '--pack-destination', destination], root, {
      ...userEnv,
      npm_config_loglevel: 'error',
    }),
  );
  // The build's own log may come first: the report is the JSON array at the end.
  const [packed] = JSON.parse(stdout.slice(stdout.search(/^\[\s*\{/m))) as Packed[];
  return { tarball: join(destination, packed!.filename), packed: packed! };
}

/**
 * Copies tests/package/projects/`name` (when it exists) to `work`/`as`, gives it a package.json and
 * installs `packages` (the tarball and tools) into it, from the npm cache where it can. Resolves
 * with the folder and npm's output (its warnings name install scripts).
 */
export async function project(
  work: string,
  name: string,
  packages: string[],
  as: string = name,
): Promise<{ dir: string; install: { stdout: string; stderr: string } }> {
  const dir = join(work, as);
  await mkdir(dir, { recursive: true });
  await cp(join(projects, name), dir, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  await writeFile(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: `descry-outside-${as}`, private: true, type: 'module' }, null, 2)}\n`,
  );
  const install = await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', ...packages],
    dir,
  );
  return { dir, install };
}
