import { fileURLToPath } from 'node:url';
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig, type Plugin } from 'vitest/config';
import { entrySources } from './entry-points.js';
import { TEST_VARS } from './tests/worker/support/test-vars.js';

/** `descry` and its subpaths as a project that installed the package resolves them in `runtime`. */
function packageAliases(runtime: 'node' | 'workerd') {
  return Object.entries(entrySources(runtime)).map(([subpath, source]) => ({
    find: new RegExp(`^${subpath.replace('/', '\\/')}$`),
    replacement: fileURLToPath(new URL(`./${source}`, import.meta.url)),
  }));
}

/**
 * What wrangler does for the Worker, done for Node: `.onnx` imports become their bytes and `.wasm`
 * imports compiled modules, so runtime-neutral tests can import the bundled model in both projects.
 */
function bytesModules(): Plugin {
  return {
    name: 'descry-bytes-modules',
    enforce: 'pre',
    load(id) {
      if (id.endsWith('.onnx')) {
        return `import { readFileSync } from 'node:fs';\nexport default new Uint8Array(readFileSync(${JSON.stringify(id)}));`;
      }
      if (id.endsWith('.wasm')) {
        return `import { readFileSync } from 'node:fs';\nexport default new WebAssembly.Module(readFileSync(${JSON.stringify(id)}));`;
      }
      return undefined;
    },
  };
}

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [bytesModules()],
        // Tests import the SDK as 'descry': the entry point of the runtime they run in.
        resolve: { alias: packageAliases('node') },
        test: {
          name: 'node',
          include: ['tests/**/*.test.ts'],
          globalSetup: [
            'tests/worker/support/provide-fixtures.ts',
            'tests/image/support/provide-reference-embeddings.ts',
            'tests/browser/support/build-web.ts',
          ],
          exclude: ['tests/workerd/**', '**/*.workerd.test.ts', '**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The Workers runtime: the worker's own tests, plus every runtime-neutral SDK test.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            // The worker tests' configuration: one key set, limits small enough to hit, static LLM.
            miniflare: { bindings: TEST_VARS },
          }),
        ],
        // As the [alias] in wrangler.toml, which the plugin does not apply.
        resolve: { alias: packageAliases('workerd') },
        test: {
          name: 'workerd',
          globalSetup: [
            'tests/worker/support/provide-fixtures.ts',
            'tests/image/support/provide-reference-embeddings.ts',
          ],
          include: [
            'tests/{worker,jobs}/**/*.workerd.test.ts',
            'tests/{image,predictors,store,sdk}/**/*.test.ts',
          ],
          exclude: ['**/*.node.test.ts', '**/node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
