/**
 * The package's public entry points: each subpath users import, and its source module per
 * runtime condition. Everything that resolves `descry` follows this one table: package.json
 * `exports` and `bin` (built files in dist/, see {@link packageExports}), the build's entries
 * (tsdown.config.ts), tsconfig `paths` (its Node column), the vitest projects' aliases and
 * wrangler.toml's `[alias]` (its workerd column). tests/package checks they agree.
 */

/** Runtimes with an entry of their own; `default` serves any other. */
export type Runtime = 'node' | 'workerd' | 'browser' | 'default';

/** Subpath → source module (from the repository root) per runtime. */
export const ENTRY_POINTS: Record<string, Partial<Record<Runtime, string>>> = {
  descry: {
    node: 'sdk/node.ts',
    workerd: 'sdk/workerd.ts',
    browser: 'sdk/browser.ts',
    default: 'sdk/browser.ts',
  },
  'descry/image': { node: 'sdk/image/node.ts', default: 'sdk/image/index.ts' },
  'descry/llm': { default: 'sdk/llm/index.ts' },
  'descry/store': { node: 'sdk/store/node.ts', default: 'sdk/store/index.ts' },
  'descry/predictors': { default: 'sdk/predictors/index.ts' },
  'descry/app': { default: 'worker/app.ts' },
  'descry/worker': { default: 'worker/index.ts' },
  'descry/server': { node: 'worker/hosts/server.node.ts' },
  'descry/models/emoji-clip': {
    node: 'sdk/embedded/emoji-clip/node.ts',
    workerd: 'sdk/embedded/emoji-clip/workerd.ts',
    browser: 'sdk/embedded/emoji-clip/browser.ts',
    default: 'sdk/embedded/emoji-clip/browser.ts',
  },
};

/** Commands the package installs (package.json `bin`) → source module (a launcher: sdk/cli/bin.ts). */
export const COMMANDS: Record<string, string> = { descry: 'sdk/cli/bin.ts' };

/**
 * Modules a command's launcher imports once its checks pass. They are built as entries, not
 * chunks, so that each keeps its place under dist/ and its relative path to the embedded model.
 */
export const COMMAND_MODULES: string[] = ['sdk/cli/descry.ts'];

/** The source each subpath resolves to in `runtime` (subpaths that runtime lacks are left out). */
export function entrySources(runtime: Exclude<Runtime, 'default'>): Record<string, string> {
  const sources: Record<string, string> = {};
  for (const [subpath, byRuntime] of Object.entries(ENTRY_POINTS)) {
    const source = byRuntime[runtime] ?? byRuntime.default;
    if (source) sources[subpath] = source;
  }
  return sources;
}

/**
 * Where the build puts a source module, without extension: `sdk/` dropped, the rest kept, so a
 * built file sits as deep under dist/ as its source under the root and relative paths that leave
 * the package's code (`../../models/emoji-clip`) point at the same files before and after the build.
 */
export function distName(source: string): string {
  return `dist/${source.replace(/^sdk\//, '').replace(/\.ts$/, '')}`;
}

/** Every module the build starts from: entry name (dist path without `.js`) → source. */
export function buildEntries(): Record<string, string> {
  const sources = [
    ...Object.values(ENTRY_POINTS).flatMap((r) => Object.values(r)),
    ...Object.values(COMMANDS),
    ...COMMAND_MODULES,
  ];
  return Object.fromEntries(sources.map((source) => [distName(source).replace(/^dist\//, ''), source]));
}

/** Export conditions per runtime, in the order resolvers must test them (first match wins). */
const CONDITIONS: Array<[Runtime, string[]]> = [
  ['workerd', ['workerd', 'worker']],
  ['browser', ['browser']],
  ['node', ['node']],
  ['default', ['default']],
];

type Target = { types: string; default: string };

function target(source: string): Target {
  const name = distName(source);
  return { types: `./${name}.d.ts`, default: `./${name}.js` };
}

/** package.json `exports`, derived from {@link ENTRY_POINTS}. */
export function packageExports(): Record<string, Record<string, Target | string> | Target | string> {
  const exports: Record<string, Record<string, Target | string> | Target | string> = {};
  for (const [subpath, byRuntime] of Object.entries(ENTRY_POINTS)) {
    const conditions: Record<string, Target> = {};
    for (const [runtime, names] of CONDITIONS) {
      const source = byRuntime[runtime];
      if (source) for (const name of names) conditions[name] = target(source);
    }
    const key = subpath === 'descry' ? '.' : `./${subpath.slice('descry/'.length)}`;
    const runtimes = Object.keys(byRuntime) as Runtime[];
    if (runtimes.length === 1 && runtimes[0] !== 'default') {
      // A subpath of one runtime (descry/server): its types under `types` too, so that TypeScript
      // finds them whatever the project's moduleResolution (`bundler` sets no `node` condition);
      // the code stays behind the runtime's condition.
      exports[key] = { types: target(byRuntime[runtimes[0]!]!).types, ...conditions };
      continue;
    }
    // One file for every runtime: no conditions, just the file and its types.
    exports[key] =
      Object.keys(conditions).length === 1 && conditions.default ? conditions.default : conditions;
  }
  exports['./package.json'] = './package.json';
  return exports;
}

/** package.json `bin`, derived from {@link COMMANDS}. */
export function packageBin(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(COMMANDS).map(([command, source]) => [command, `./${distName(source)}.js`]),
  );
}
