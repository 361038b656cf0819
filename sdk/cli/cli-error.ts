/**
 * A mistake in how the command was called (a missing file, a missing option): printed as one
 * line without a stack trace, exit code 1.
 */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * Exit codes of every command: 0 everything done; 1 the command failed or was called wrongly
 * (nothing or nothing useful written); 2 done in part (some images or labels failed, each reported).
 */
export const EXIT = { ok: 0, failed: 1, partial: 2 } as const;
