// Benchmark: vision encoder of the embedded emoji-clip model, onnxruntime-web (wasm) in Node.
// Run: npm run bench:vision   (target: <= 5 ms per image on the project's 2-core machine)
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const modelDir = join(root, 'models', 'emoji-clip');
const pre = JSON.parse(readFileSync(join(modelDir, 'preprocessor_config.json'), 'utf8'));
const S: number = pre.crop_size.height;
const threads = Number(process.env.ORT_THREADS ?? 1);
ort.env.wasm.numThreads = threads;

const session = await ort.InferenceSession.create(readFileSync(join(modelDir, 'onnx', 'vision_model.onnx')), {
  executionProviders: ['wasm'],
  graphOptimizationLevel: 'all',
});

function input(batch: number): ort.Tensor {
  const data = new Float32Array(batch * 3 * S * S);
  let seed = 1;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    data[i] = (seed / 0x7fffffff) * 4 - 2;
  }
  return new ort.Tensor('float32', data, [batch, 3, S, S]);
}

async function time(batch: number, iters: number): Promise<{ median: number; mean: number }> {
  const feeds = { pixel_values: input(batch) };
  for (let i = 0; i < 5; i++) await session.run(feeds);
  const ms: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t = performance.now();
    await session.run(feeds);
    ms.push((performance.now() - t) / batch);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)]!, mean: ms.reduce((a, b) => a + b, 0) / ms.length };
}

const single = await time(1, 200);
const batched = await time(16, 20);
console.log(
  `emoji-clip vision encoder, onnxruntime-web ${ort.env.versions?.web ?? ''} wasm, ${threads} thread(s), node ${process.version}, input ${S}x${S}`,
);
console.log(`batch 1:  median ${single.median.toFixed(2)} ms/image (mean ${single.mean.toFixed(2)})`);
console.log(`batch 16: median ${batched.median.toFixed(2)} ms/image (mean ${batched.mean.toFixed(2)})`);
console.log(
  `vision ms/image: ${single.median.toFixed(2)} ${single.median <= 5 ? '(<= 5 ms target met)' : '(ABOVE the 5 ms target)'}`,
);
