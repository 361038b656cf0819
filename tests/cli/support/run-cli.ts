/**
 * Runs the `descry` command as a user does: a child process, its stdout, stderr and exit code.
 * In the repository it is `tsx sdk/cli/descry.ts`; set DESCRY_CLI to another command (the built
 * bin of an installed package) to run the same tests against it.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('../../..', import.meta.url).pathname;

/** What one run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function command(): { file: string; prefix: string[] } {
  const custom = process.env.DESCRY_CLI?.trim();
  if (custom) {
    const [file, ...prefix] = custom.split(/\s+/);
    return { file: file!, prefix };
  }
  return { file: join(root, 'node_modules', '.bin', 'tsx'), prefix: [join(root, 'sdk', 'cli', 'descry.ts')] };
}

/** Run `descry ...args` in `cwd` (default: the repository). */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  const { file, prefix } = command();
  return new Promise((resolve) => {
    execFile(
      file,
      [...prefix, ...args],
      { cwd: options.cwd ?? root, env: { ...process.env, ...options.env }, maxBuffer: 64 * 2 ** 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
