/**
 * Everything that resolves `descry` agrees with entry-points.ts: package.json `exports` and `bin`
 * (what users get), tsconfig `paths` (typecheck), wrangler.toml `[alias]` (the repo's Worker) and
 * the build's entries. The vitest aliases are computed from the table itself. Drift fails here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { experimental_readRawConfig } from 'wrangler';
import {
  buildEntries,
  COMMAND_MODULES,
  COMMANDS,
  ENTRY_POINTS,
  entrySources,
  packageBin,
  packageExports,
} from '../../entry-points.js';

const root = new URL('../../', import.meta.url);
const readJson = (file: string) => JSON.parse(readFileSync(new URL(file, root), 'utf8'));
const pkg = readJson('package.json');

describe('entry points', () => {
  it('name source modules that exist', () => {
    const sources = [
      ...Object.values(ENTRY_POINTS).flatMap((r) => Object.values(r)),
      ...Object.values(COMMANDS),
      ...COMMAND_MODULES,
    ];
    for (const source of sources) expect(existsSync(new URL(source, root)), source).toBe(true);
  });

  it('are package.json exports and bin, pointing into dist/ with types', () => {
    // After changing entry-points.ts: `npm run sync:exports` rewrites both.
    expect(pkg.exports).toEqual(packageExports());
    expect(pkg.bin).toEqual(packageBin());
    expect(pkg.exports['.'].node).toEqual({ types: './dist/node.d.ts', default: './dist/node.js' });
    expect(pkg.exports['.'].workerd).toEqual({ types: './dist/workerd.d.ts', default: './dist/workerd.js' });
    expect(pkg.exports['.'].worker).toEqual(pkg.exports['.'].workerd);
    expect(pkg.exports['.'].browser).toEqual({ types: './dist/browser.d.ts', default: './dist/browser.js' });
    // Resolvers take the first condition that matches: the specific runtimes before `default`.
    expect(Object.keys(pkg.exports['.'])).toEqual(['workerd', 'worker', 'browser', 'node', 'default']);
    expect(pkg.main).toBe(pkg.exports['.'].node.default);
    expect(pkg.types).toBe(pkg.exports['.'].node.types);
  });

  it('are the build entries, each built file as deep in dist/ as its source in the root', () => {
    const entries = buildEntries();
    for (const [name, source] of Object.entries(entries)) {
      expect(name.split('/').length, `${source} → dist/${name}.js`).toBe(
        source.split('/').length - (source.startsWith('sdk/') ? 1 : 0),
      );
    }
    const targets = JSON.stringify(pkg.exports).match(/\.\/dist\/[^"]+\.js/g) ?? [];
    for (const target of [...targets, ...Object.values(pkg.bin as Record<string, string>)]) {
      expect(Object.keys(entries)).toContain(target.replace(/^\.\/dist\//, '').replace(/\.js$/, ''));
    }
  });

  it('are tsconfig paths (the Node column)', () => {
    const { paths } = readJson('tsconfig.json').compilerOptions;
    const expected = Object.fromEntries(
      Object.entries(entrySources('node')).map(([subpath, source]) => [subpath, [`./${source}`]]),
    );
    expect(paths).toEqual(expected);
  });

  it("are wrangler.toml's [alias] (the workerd column)", () => {
    const { rawConfig } = experimental_readRawConfig({ config: new URL('wrangler.toml', root).pathname });
    const expected = Object.fromEntries(
      Object.entries(entrySources('workerd')).map(([subpath, source]) => [subpath, `./${source}`]),
    );
    expect(rawConfig.alias).toEqual(expected);
  });

  it('ship the built code, the embedded model and its licences, not tests or training data', () => {
    expect(pkg.private).toBeUndefined();
    expect(pkg.files).toEqual([
      'dist',
      'THIRD_PARTY_NOTICES.md',
      'models/emoji-clip',
      '!models/emoji-clip/onnx/model.onnx',
    ]);
    expect(pkg.scripts.prepack).toBe('npm run build');
  });
});
