#!/usr/bin/env node

/**
 * The `descry` command's launcher (package.json `bin`): checks what the command needs before any
 * of it loads, so that each problem is one clear line instead of a link error.
 * - Node 22.12 or later (../node-version.ts): Node 20 would stop at "does not provide an export
 *   named 'glob'" before a line of the command ran, as ES modules link before they run.
 * - Its optional peers, `commander` and `cli-progress` (../optional-peer.ts), all named at once
 *   with the command that installs them.
 * Then it imports the command (./descry.ts), which parses the arguments.
 */

import { unsupportedNode } from '../node-version.js';
import { installCommand } from '../optional-peer.js';

/** The packages the command needs besides descry's own dependencies. */
const CLI_PEERS = ['commander', 'cli-progress'];

function fail(message: string): never {
  console.error(`descry: ${message}`);
  process.exit(1);
}

const tooOld = unsupportedNode();
if (tooOld !== undefined) fail(tooOld);

const missing = CLI_PEERS.filter((name) => {
  try {
    import.meta.resolve(name);
    return false;
  } catch {
    return true;
  }
});
if (missing.length > 0) {
  fail(
    `the command line needs ${missing.join(' and ')} (optional peer ${missing.length === 1 ? 'dependency' : 'dependencies'} of descry): ${installCommand(missing)}`,
  );
}

await import('./descry.js');
