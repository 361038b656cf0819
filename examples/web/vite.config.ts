/**
 * The demo page (`npm run build:web`, or `npx vite examples/web` while editing it). Inside this
 * repository `descry` resolves to the SDK's sources through the package's entry table, browser
 * column, as an app that installed the package resolves it to the built browser entry.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { entrySources } from '../../entry-points.js';
import { siteFiles } from './site-files.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const site = siteFiles();

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative URLs: the page works under any path it is served from.
  base: './',
  plugins: [site.plugin],
  define: {
    __DESCRY_MODEL_PATH__: JSON.stringify(site.modelPath),
    __DESCRY_MODEL_BYTES__: JSON.stringify(site.modelBytes),
  },
  resolve: {
    alias: Object.entries(entrySources('browser')).map(([subpath, source]) => ({
      // Exact matches: a string would also rewrite `descry/llm` as `${source}/llm`.
      find: new RegExp(`^${subpath}$`),
      replacement: `${root}${source}`,
    })),
  },
  // The model's worker (src/descry.worker.ts) as an ES module: ONNX Runtime loads its parts with
  // dynamic imports and starts its threads' workers from its own module's URL.
  worker: { format: 'es' },
  // Pre-bundling would move ORT's glue away from the .wasm it finds by `import.meta.url`.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});
