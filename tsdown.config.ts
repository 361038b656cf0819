/**
 * `npm run build`: the package's dist/ (ESM, .d.ts, source maps) from the entries of
 * entry-points.ts. One build for every entry, so modules shared by several entries land in shared
 * chunks, once: `descry/llm` and `descry` throw the same `DescryError` class. The package's own
 * subpaths stay imports (`descry/worker` imports `descry`, resolved by the user's bundler or Node
 * under its runtime's condition), and so do dependencies and the model's files (models/emoji-clip,
 * shipped beside dist/ and referred to by relative paths that the build keeps as written).
 */
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { defineConfig } from 'tsdown';
import { buildEntries } from './entry-points.js';

export default defineConfig({
  entry: buildEntries(),
  outDir: 'dist',
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  dts: true,
  hash: true,
  fixedExtension: false,
  deps: { neverBundle: [/^descry(\/.*)?$/, /^node:/] },
  plugins: [modelFilesAsWritten(), ownWasmAsWritten()],
  // The .d.ts pass is most of the build's time, as it should be: no need to be told each build.
  checks: { pluginTimings: false },
});

/**
 * Imports of the model's files (`../../../models/emoji-clip/…`) stay imports of those files, which
 * ship beside dist/ and which the user's bundler then loads (JSON, a Data module). Each import is
 * written relative to the built file that holds it: an entry sits as deep under dist/ as its
 * source under the root (entry-points.ts `distName`), but a module that several entries share
 * lands in a chunk at dist/'s top (sdk/embedded/emoji-clip/subclasses.ts did, and its path as
 * written pointed outside the package). The file is marked external under a placeholder id, and
 * the placeholder replaced by the path from the chunk once its place is known.
 */
function modelFilesAsWritten() {
  const PLACEHOLDER = 'descry-model-file:';
  return {
    name: 'descry:model-files-as-written',
    resolveId: {
      filter: { id: /^(\.\.\/)+models\/emoji-clip\// },
      handler: (source: string) => ({
        id: `${PLACEHOLDER}${source.replace(/^(\.\.\/)+/, '')}`,
        external: 'absolute' as const,
      }),
    },
    renderChunk(code: string, chunk: { fileName: string }) {
      if (!code.includes(PLACEHOLDER)) return null;
      const from = posix.dirname(posix.join('dist', chunk.fileName));
      return code.replace(new RegExp(`${PLACEHOLDER}([^"'\`]+)`, 'g'), (_, file: string) => {
        const path = posix.relative(from, file);
        return path.startsWith('.') ? path : `./${path}`;
      });
    },
  };
}

/**
 * Descry's own .wasm (sdk/image/wasm/kernels.wasm, imported by the workerd entry, which wrangler
 * precompiles) stays an import as written and is copied to the same place under dist/: the entry
 * sits as deep under dist/ as under sdk/, so the relative path still reaches it.
 */
function ownWasmAsWritten() {
  const files = ['image/wasm/kernels.wasm'];
  return {
    name: 'descry:own-wasm-as-written',
    resolveId: {
      filter: { id: /^\.\/image\/wasm\/[a-z-]+\.wasm$/ },
      handler: (source: string) => ({ id: source, external: 'absolute' as const }),
    },
    generateBundle(this: {
      emitFile(file: { type: 'asset'; fileName: string; source: Uint8Array }): string;
    }) {
      for (const fileName of files) {
        this.emitFile({
          type: 'asset',
          fileName,
          source: readFileSync(new URL(`./sdk/${fileName}`, import.meta.url)),
        });
      }
    },
  };
}
