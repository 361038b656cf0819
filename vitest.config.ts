import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

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
        test: {
          name: 'node',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/workerd/**', 'tests/browser/**', '**/*.workerd.test.ts', '**/node_modules/**'],
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
        test: {
          name: 'workerd',
          include: ['tests/worker/**/*.workerd.test.ts', 'tests/{image,predictors,store,sdk}/**/*.test.ts'],
          exclude: ['**/*.node.test.ts', '**/node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
