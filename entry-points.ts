/**
 * The package's public entry points: each subpath users import, and its source module per
 * runtime condition. Everything that resolves `descry` follows this one table: package.json
 * `exports` (built files in dist/), tsconfig `paths` (its Node column), the vitest projects'
 * aliases and wrangler.toml's `[alias]` (its workerd column). tests/package checks they agree.
 */

/** Runtimes with an entry of their own; `default` serves any other. */
export type Runtime = 'node' | 'workerd' | 'browser' | 'default';

/** Subpath → source module (from the repository root) per runtime. */
export const ENTRY_POINTS: Record<string, Partial<Record<Runtime, string>>> = {
  descry: { node: 'sdk/node.ts', workerd: 'sdk/workerd.ts', browser: 'sdk/browser.ts' },
  'descry/image': { default: 'sdk/image/index.ts' },
  'descry/llm': { default: 'sdk/llm/index.ts' },
  'descry/store': { node: 'sdk/store/node.ts', default: 'sdk/store/index.ts' },
  'descry/predictors': { default: 'sdk/predictors/index.ts' },
  'descry/worker': { default: 'worker/index.ts' },
  'descry/server': { node: 'worker/node.ts' },
};

/** The source each subpath resolves to in `runtime` (subpaths that runtime lacks are left out). */
export function entrySources(runtime: Exclude<Runtime, 'default'>): Record<string, string> {
  const sources: Record<string, string> = {};
  for (const [subpath, byRuntime] of Object.entries(ENTRY_POINTS)) {
    const source = byRuntime[runtime] ?? byRuntime.default;
    if (source) sources[subpath] = source;
  }
  return sources;
}
