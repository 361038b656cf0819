/**
 * The edge Worker under `wrangler dev --local` (the workerd that production runs) with a given
 * wrangler config, local state folder and vars, on free ports, with its V8 inspector open; and
 * the local R2 and KV of that state folder seeded through wrangler's getPlatformProxy (the same
 * storage `wrangler dev --persist-to` reads). Used by bench/edge-models.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { getPlatformProxy } from 'wrangler';
// @ts-expect-error: plain JavaScript helpers of the other benches
import { freePort, memory, workerdPids } from '../service-hosts.mjs';
import { root } from './assets.js';

/** Wrangler's documented switches for running without the Cloudflare network (scripts/wrangler-dev.mjs). */
const OFFLINE = { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

export interface EdgeHost {
  base: string;
  /** The workerd process that runs the Worker. */
  pid: number;
  inspector: number;
  /** Milliseconds from spawning wrangler to its "Ready" line. */
  startMs: number;
  /** What wrangler and the Worker printed so far. */
  output(): string;
  stop(): Promise<void>;
}

function waitFor(
  child: ChildProcess,
  pattern: RegExp,
  what: string,
  timeoutMs = 180_000,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`${what} did not start in ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(new Error(`${error.message}\n--- ${what} output ---\n${output}`));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`${what} exited with ${code}`)));
  });
}

/** `wrangler dev --local -c config --persist-to state` with `vars`, ready to serve. */
export async function startEdgeWorker(options: {
  config: string;
  state: string;
  vars: Record<string, string>;
}): Promise<EdgeHost> {
  const wrangler = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');
  const inspector = await freePort();
  const args = [wrangler, 'dev', '--local', '-c', options.config, '--ip', '127.0.0.1', '--port', '0'];
  args.push('--persist-to', options.state, '--inspector-port', String(inspector));
  for (const [name, value] of Object.entries(options.vars)) args.push('--var', `${name}:${value}`);
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...OFFLINE },
  });
  const [, base] = await waitFor(child, /Ready on (http:\/\/127\.0\.0\.1:\d+)/, 'wrangler dev');
  const startMs = performance.now() - started;
  // Keep reading its output so that a full pipe never blocks it, and keep it for error messages.
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk).slice(-200_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const pids = workerdPids(child.pid) as number[];
  if (pids.length === 0) throw new Error('no workerd process under wrangler dev');
  // The dev proxy is started first and stays small; the runtime that runs the Worker grows with it.
  await fetch(`${base}/healthz`);
  const pid = pids.reduce((a, b) => (memory(a).rss >= memory(b).rss ? a : b));
  return {
    base: base!,
    pid,
    inspector,
    startMs,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Objects to put: R2 keys of MODEL_BUCKET and KV keys of CLASSIFIERS, with their bytes. */
export interface Seed {
  r2?: Record<string, Uint8Array>;
  kv?: Record<string, Uint8Array>;
}

/** Write `seed` into the local state folder `state` of `config`'s bindings. */
export async function seedState(config: string, state: string, seed: Seed): Promise<void> {
  const proxy = await getPlatformProxy<{ MODEL_BUCKET: R2Bucket; CLASSIFIERS: KVNamespace }>({
    configPath: join(root, config),
    // wrangler dev --persist-to keeps its state under v3/; getPlatformProxy uses the path it is given.
    persist: { path: join(state, 'v3') },
    remoteBindings: false,
  });
  try {
    // As plain Uint8Arrays: the proxy sends a view by its constructor name, and workerd has no Buffer.
    for (const [key, bytes] of Object.entries(seed.r2 ?? {}))
      await proxy.env.MODEL_BUCKET.put(key, new Uint8Array(bytes));
    for (const [key, bytes] of Object.entries(seed.kv ?? {}))
      await proxy.env.CLASSIFIERS.put(key, new Uint8Array(bytes));
  } finally {
    await proxy.dispose();
  }
}
