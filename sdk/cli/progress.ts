/**
 * A progress bar on stderr (cli-progress), drawn only when stderr is a terminal: piped or
 * redirected runs, and tests, get no control characters, only the final summary.
 */
import { SingleBar } from 'cli-progress';

/** A started bar; every method is a no-op when there is no terminal. */
export interface Progress {
  update(done: number, status?: string): void;
  stop(): void;
}

/** Start a bar over `total` steps; `format` as cli-progress's, with `{status}` available. */
export function startProgress(total: number, format: string): Progress {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new SingleBar({ format, stream: process.stderr, hideCursor: true, etaBuffer: 50 });
  bar.start(total, 0, { status: '' });
  return {
    update: (done, status = '') => bar.update(done, { status }),
    stop: () => bar.stop(),
  };
}
