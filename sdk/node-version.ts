/**
 * The Node versions Descry runs on: 22.12 and later (package.json `engines`). Older ones fail late
 * and cryptically (Node 20: "no available backend found … Dynamic require of "node:os"" from ONNX
 * Runtime's wasm build at the first load, and "does not provide an export named 'glob'" from the
 * command line), so the Node entry and the command check first and say what to do. Deno and Bun
 * report a Node version of their own compatibility layer and are not checked.
 */

/** The oldest Node release Descry supports, as [major, minor]. */
export const MINIMUM_NODE: readonly [number, number] = [22, 12];

/**
 * Why this runtime cannot run Descry's Node entry, or undefined when it can: the message names
 * the version found, the one needed, and the fix.
 */
export function unsupportedNode(
  version: string | undefined = globalThis.process?.versions?.node,
  execPath: string | undefined = globalThis.process?.execPath,
): string | undefined {
  const host = globalThis as { Deno?: unknown; Bun?: unknown };
  if (version === undefined || host.Deno !== undefined || host.Bun !== undefined) return undefined;
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [needMajor, needMinor] = MINIMUM_NODE;
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return undefined;
  return (
    `descry needs Node.js ${needMajor}.${needMinor} or later; this is Node.js ${version}` +
    `${execPath ? ` (${execPath})` : ''}. Install a current Node.js (https://nodejs.org/, or \`nvm install 22\`) and run it with that.`
  );
}

/** Throws {@link unsupportedNode}'s message as an Error when this Node is too old. */
export function assertSupportedNode(): void {
  const problem = unsupportedNode();
  if (problem !== undefined) {
    const error = new Error(problem);
    error.name = 'UnsupportedNodeError';
    throw error;
  }
}
