/**
 * The service's two hosts as benches start them, and what Linux says about their memory: the Node
 * server (worker/hosts/node-server.node.ts, one process) and the Worker under `wrangler dev --local` (the workerd
 * runtime process among wrangler's descendants). Both listen on a free port on 127.0.0.1 and fail
 * with their own output when they cannot start. Used by heavy-requests.mjs and worker-memory.mjs.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWranglerDev } from '../scripts/wrangler-dev.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The service's limits as wrangler.toml deploys them (and as worker/config.ts defaults them). */
export function deployedVars() {
  const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8');
  const vars = toml.slice(toml.indexOf('[vars]')).split(/\n\[/)[0];
  return Object.fromEntries([...vars.matchAll(/^(\w+)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1], m[2]]));
}

/** Resolves with the first match of `pattern` in the child's output; rejects with the output if it exits first. */
function waitFor(child, pattern, what, timeoutMs = 180_000) {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`${what} did not start in ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk) => {
      output += chunk;
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    const fail = (error) => {
      clearTimeout(timer);
      reject(new Error(`${error.message}\n--- ${what} output ---\n${output}`));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => fail(new Error(`${what} exited with ${code}`)));
  });
}

/** The Node server with `vars` on a free port. */
export async function startNode(vars = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'descry-bench-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/hosts/node-server.node.ts'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DESCRY_DATA_DIR: dataDir,
      DESCRY_DEV: 'true',
      ...vars,
    },
  });
  const [, base] = await waitFor(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/, 'the Node server');
  return {
    name: 'node',
    base,
    pid: child.pid,
    child,
    stop() {
      child.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function children(pid) {
  const result = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) result.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return result;
}

/** Every workerd below `pid`: wrangler's dev proxy and the runtime that runs the Worker. */
export function workerdPids(pid) {
  const found = [];
  const queue = [pid];
  while (queue.length) {
    for (const kid of children(queue.shift())) {
      const cmd = readFileSync(`/proc/${kid}/cmdline`, 'utf8');
      if (cmd.includes('workerd') && cmd.includes('serve')) found.push(kid);
      queue.push(kid);
    }
  }
  return found;
}

/** A TCP port nothing listens on now, picked by the OS (for tools that take no port 0). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The Worker under `wrangler dev --local` with `vars` on a free port, its V8 inspector on another. */
export async function startWorkerd(vars = {}) {
  const inspector = await freePort();
  const child = startWranglerDev({
    port: 0,
    vars,
    stdio: ['ignore', 'pipe', 'pipe'],
    inspectorPort: inspector,
  });
  const [, base] = await waitFor(child, /Ready on (http:\/\/127\.0\.0\.1:\d+)/, 'wrangler dev');
  const pids = workerdPids(child.pid);
  if (pids.length === 0) throw new Error('no workerd process under wrangler dev');
  // The dev proxy is started first and stays small; the runtime is the one that loads the Worker.
  await fetch(`${base}/healthz?ready=1`);
  const pid = pids.reduce((a, b) => (memory(a).rss >= memory(b).rss ? a : b));
  return { name: 'workerd', base, pid, inspector, child, stop: () => child.kill('SIGTERM') };
}

/** Resident and peak resident set size of `pid`, in MB (Linux /proc). */
export function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/**
 * Start a new peak: the kernel resets VmHWM to the current RSS when "5" is written to clear_refs.
 * Returns false where that is not allowed; the caller then samples.
 */
export function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
