import type { ChildProcess, StdioOptions } from 'node:child_process';

/** See wrangler-dev.mjs. */
export function startWranglerDev(options: {
  port: number | string;
  vars?: Record<string, string>;
  stdio?: StdioOptions;
  persistTo?: string;
}): ChildProcess;

/** See wrangler-dev.mjs. */
export const WRANGLER_OFFLINE: Record<string, string>;
