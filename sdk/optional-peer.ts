/**
 * Optional peer dependencies. The SDK's own dependencies are what classification needs; the LLM
 * sources (`ai`, `@ai-sdk/openai-compatible`, `workers-ai-provider`), the HTTP service (`hono`,
 * `@hono/zod-openapi`, `@hono/node-server`) and the command line (`commander`, `cli-progress`)
 * are optional peers, installed by those who use them (DEVELOPERS.md, "Dependencies", says why).
 *
 * A feature loads its peer with a literal `import('name').catch(missingPeer(...))` at the call
 * site: bundlers (esbuild in wrangler, Rollup/Rolldown in Vite) bundle the peer when it is
 * installed and, because the import handles its own failure, leave it to fail at run time when it
 * is not, where {@link missingPeer} turns the failure into a {@link DependencyMissingError} that
 * names the packages and the command that installs them.
 */

import { DependencyMissingError } from './errors.js';

/** The command that installs `packages`. */
export function installCommand(packages: readonly string[]): string {
  return `npm install ${packages.join(' ')}`;
}

/** The error for `feature` used without `packages` installed. */
export function dependencyMissing(
  feature: string,
  packages: readonly string[],
  cause?: unknown,
): DependencyMissingError {
  const names = packages.map((name) => `'${name}'`);
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return new DependencyMissingError(
    'dependency_missing',
    `${feature} needs ${list} (optional peer ${packages.length === 1 ? 'dependency' : 'dependencies'} of descry): ${installCommand(packages)}`,
    { cause, details: { packages: [...packages], install: installCommand(packages) } },
  );
}

/**
 * Whether an import failed because the module is not there, as each runtime says it: Node's
 * `ERR_MODULE_NOT_FOUND`, workerd's "No such module", browsers' "Failed to resolve module
 * specifier", Deno's and Bun's "Cannot find/resolve". Any other failure (the peer itself threw
 * while loading) is not hidden behind "install it".
 */
export function isModuleNotFound(error: unknown): boolean {
  if ((error as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND') return true;
  const message = error instanceof Error ? error.message : String(error);
  return /cannot find (module|package)|no such module|failed to resolve|could not (find|resolve)|module not found/i.test(
    message,
  );
}

/**
 * A `.catch` handler for `import(peer)`: throws {@link dependencyMissing} for `feature` when the
 * module is not installed, and the import's own error otherwise.
 */
export function missingPeer(feature: string, packages: readonly string[]): (cause: unknown) => never {
  return (cause) => {
    if (isModuleNotFound(cause)) throw dependencyMissing(feature, packages, cause);
    throw cause;
  };
}
