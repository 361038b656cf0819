import { fileURLToPath } from 'node:url';
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig, type Plugin } from 'vitest/config';

const sdkEntry = (name: string) => fileURLToPath(new URL(`./sdk/${name}.ts`, import.meta.url));

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

/** Bindings the workerd tests run with: a known key and limits small enough to hit. */
const workerdTestBindings = {
  DESCRY_API_KEYS: 'test-key-1,test-key-2',
  DESCRY_DEV: 'false',
  DESCRY_CORS_ORIGINS: 'https://app.example',
  DESCRY_MAX_BODY_BYTES: '262144',
  DESCRY_MAX_IMAGE_PIXELS: '262144',
  DESCRY_MAX_LABELS: '64',
  DESCRY_MAX_IMAGES: '8',
  DESCRY_MAX_TEXTS: '32',
  DESCRY_LLM: 'static',
};

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [bytesModules()],
        // Runtime-neutral tests import '#descry': the entry point of the runtime they run in.
        resolve: { alias: { '#descry': sdkEntry('node') } },
        test: {
          name: 'node',
          include: ['tests/**/*.test.ts'],
          globalSetup: ['tests/worker/support/provide-fixtures.ts'],
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
            miniflare: { bindings: workerdTestBindings },
          }),
        ],
        resolve: {
          alias: [
            { find: '#descry', replacement: sdkEntry('workerd') },
            // As the [alias] in wrangler.toml, which the plugin does not apply: ORT's plain wasm build.
            {
              find: /^onnxruntime-web$/,
              replacement: fileURLToPath(
                new URL('./node_modules/onnxruntime-web/dist/ort.wasm.bundle.min.mjs', import.meta.url),
              ),
            },
          ],
        },
        test: {
          name: 'workerd',
          globalSetup: ['tests/worker/support/provide-fixtures.ts'],
          include: ['tests/worker/**/*.workerd.test.ts', 'tests/{image,predictors,store,sdk}/**/*.test.ts'],
          exclude: ['**/*.node.test.ts', '**/node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
