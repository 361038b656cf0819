/** Types of wrangler-dev.mjs, for the TypeScript that imports it (tests, benches). */
import type { ChildProcess, StdioOptions } from 'node:child_process';

export const WRANGLER_OFFLINE: Record<string, string>;

export function startWranglerDev(options: {
  port: number | string;
  vars?: Record<string, string>;
  stdio?: StdioOptions;
}): ChildProcess;
