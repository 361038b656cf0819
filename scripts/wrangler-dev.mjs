/**
 * Starts the Worker locally with `wrangler dev --local` on 127.0.0.1 in dev mode (open API, no
 * keys): what `npm start` serves and what bench/worker-memory.mjs measures.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Wrangler's documented switches for running without the Cloudflare network. */
export const WRANGLER_OFFLINE = { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

/**
 * The wrangler child process; `vars` are extra `--var NAME:value` settings; `persistTo` keeps
 * the local KV, R2, Durable Object and queue state in that folder (wrangler's default otherwise);
 * `inspectorPort` is where the Worker's V8 inspector listens (wrangler's default: 9229).
 */
export function startWranglerDev({ port, vars = {}, stdio = 'inherit', persistTo, inspectorPort }) {
  const wrangler = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');
  const settings = { DESCRY_DEV: 'true', DESCRY_API_KEYS: '', ...vars };
  const args = [wrangler, 'dev', '--local', '--ip', '127.0.0.1', '--port', String(port)];
  if (persistTo) args.push('--persist-to', persistTo);
  if (inspectorPort !== undefined) args.push('--inspector-port', String(inspectorPort));
  for (const [name, value] of Object.entries(settings)) args.push('--var', `${name}:${value}`);
  return spawn(process.execPath, args, {
    cwd: root,
    stdio,
    // Offline and quiet: no telemetry, and workerd's placeholder `Request.cf` instead of fetching
    // it from workers.cloudflare.com (which prints a stack trace when there is no network).
    env: { ...process.env, ...WRANGLER_OFFLINE },
  });
}
