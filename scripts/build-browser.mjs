#!/usr/bin/env node
// A standalone browser bundle of the SDK, for pages without a bundler and for
// tests/browser and bench/browser.ts: descry.js (ESM, every dependency inlined), descry-worker.js
// (the worker `DescryWorker.load` starts by default), the chunks they share (onnxruntime-web
// among them, loaded on the first session) and the wasm files that onnxruntime-web and the JPEG
// and WebP decoders fetch next to them. Not part of the npm package, whose users' bundlers do this
// themselves from dist/ (see README, "Install"); hence its own output folder.
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** Build into `outdir` (default build/browser); returns the bundle's path. */
export async function buildBrowser(outdir = join(root, 'build', 'browser')) {
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: {
      descry: join(root, 'sdk', 'browser.ts'),
      'descry-worker': join(root, 'sdk', 'browser', 'worker-entry.ts'),
    },
    outdir,
    // Shared code in chunks: the worker does not download the SDK a second time, and ONNX Runtime
    // (whose threads start workers from its own module's URL) is a module of its own. Chunks stay
    // in this folder: each finds its .wasm next to itself (`new URL(…, import.meta.url)`).
    splitting: true,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  const wasm = [
    require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'),
    require.resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'),
    require.resolve('@jsquash/webp/codec/dec/webp_dec.wasm'),
  ];
  for (const file of wasm) await copyFile(file, join(outdir, file.split('/').at(-1)));
  return join(outdir, 'descry.js');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`built ${await buildBrowser()}`);
}
