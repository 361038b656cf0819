// Bundles app.mjs into one script for the Edge runtime, as Vercel's build does: the `edge-light`
// and `worker` export conditions (descry's build that takes its wasm as compiled modules), each
// `.wasm` import a WebAssembly.Module (what Vercel's `?module` imports give) and the embedded
// model's `.onnx` files bytes.
//   node build.mjs   → dist/app.js
import { readFile } from 'node:fs/promises';
import { build } from 'esbuild';

const wasmModules = {
  name: 'wasm-modules',
  setup(b) {
    b.onLoad({ filter: /\.wasm$/ }, async (args) => ({
      contents: `export default new WebAssembly.Module(Uint8Array.from(atob(${JSON.stringify(
        (await readFile(args.path)).toString('base64'),
      )}), (c) => c.charCodeAt(0)));`,
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: ['app.mjs'],
  outfile: 'dist/app.js',
  bundle: true,
  format: 'iife',
  platform: 'neutral',
  target: 'es2022',
  mainFields: ['module', 'main'],
  conditions: ['edge-light', 'worker'],
  loader: { '.onnx': 'binary' },
  plugins: [wasmModules],
  logLevel: 'warning',
});
