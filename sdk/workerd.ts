/**
 * Descry for Cloudflare Workers (workerd). WebAssembly cannot be compiled from bytes at run time
 * there, so the wasm of onnxruntime-web, of the JPEG and WebP decoders and of the image kernels are
 * imported as modules
 * (wrangler precompiles them) and handed to each library. Models come as bytes (bundled or from R2)
 * or URLs.
 */

import jpegScaledWasm from '@cwasm/jpeg-turbo/jpeg-turbo.wasm';
import jpegWasm from '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm';
import webpWasm from '@jsquash/webp/codec/dec/webp_dec.wasm';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm';
import { ortWorkerdBackend } from './engine/backends/ort-workerd.js';
import { configureJpegWasm } from './image/jpeg.js';
import { configureJpegScaledWasm } from './image/jpeg-scaled.js';
import { configureImageKernels } from './image/kernels.js';
import imageKernelsWasm from './image/wasm/kernels.wasm';
import { configureWebpWasm } from './image/webp.js';
import { resolvePortableSource, setRuntime } from './runtime.js';

const backend = ortWorkerdBackend(ortWasm);
configureJpegWasm(async () => jpegWasm);
configureJpegScaledWasm(async () => jpegScaledWasm);
configureWebpWasm(async () => webpWasm);
configureImageKernels(imageKernelsWasm);
setRuntime({ backend: async () => backend, resolveSource: resolvePortableSource });

export * from './index.js';
