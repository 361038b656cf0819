/**
 * The Worker as `npm start` runs it (`wrangler dev --local`, scripts/wrangler-dev.mjs), on a free
 * port: resolves once wrangler says where it listens, or fails with wrangler's own output.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
// @ts-expect-error: a script in plain JavaScript
import { startWranglerDev } from '../../../scripts/wrangler-dev.mjs';

/** A running `wrangler dev`. */
export interface WorkerDev {
  url: string;
  /** Everything wrangler printed so far. */
  output(): string;
  stop(): Promise<void>;
}

const READY = /Ready on (http:\/\/[^\s]+)/;

/** Start `wrangler dev` with `vars` on port 0 (wrangler picks a free one). */
export async function startWorkerDev(
  vars: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<WorkerDev> {
  const child: ChildProcess = startWranglerDev({ port: 0, vars, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`wrangler dev did not start in ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = READY.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1]!);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`wrangler dev exited (${code}) before it was ready:\n${output}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { url, output: () => output, stop };
}
