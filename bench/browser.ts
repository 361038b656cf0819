/**
 * bench:browser: per-image classification time in headless Chromium (Debian's, playwright-core),
 * Descry's standalone browser build against @huggingface/transformers 4.x, on the same model
 * folders and the same JPEG, with onnxruntime-web's wasm backend: 1 thread on a plain page, and
 * threads on a cross-origin isolated one (a second server sends COOP/COEP). For Descry, three ways
 * to run it: on the page's thread, with ONNX Runtime's proxy worker (`ortWebBackend({ proxy: true })`),
 * and in a DescryWorker; for each, the page's longest task while classifying (PerformanceObserver
 * 'longtask'): what decides whether the page stays responsive (target: none over 50 ms).
 * transformers.js runs its two encoders as its MobileCLIP model card does (labels encoded once;
 * per image: RawImage, processor, vision encoder, normalised matmul). Also reports whether Chromium
 * here exposes a WebGPU adapter.
 *
 *   npm run bench:browser [-- --models mobileclip-s0,emoji-clip,clip-vit-base-patch32 --images 5 --docs]
 *
 * Writes bench/results/browser.md; `--docs` also the browser block of docs/benchmarks.md.
 */
import { writeFileSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize } from 'node:path';
import { Command } from 'commander';
import { build } from 'esbuild';
// @ts-expect-error: a build script in plain JavaScript
import { buildBrowser } from '../scripts/build-browser.mjs';
import { writeMarkedBlock } from '../scripts/doc-blocks.mjs';
import { launchChromium } from '../tests/browser/support/chromium.js';
import { ensureAssets, images, paths } from './real/assets.js';
import { labels, TEMPLATE } from './real/plan.js';

const cli = new Command()
  .option('--models <names>', 'model folders (bench/.models or models/)', 'mobileclip-s0,emoji-clip')
  .option('--images <n>', 'timed classifications per measurement (median)', '5')
  .option('--labels <n>', 'labels', '100')
  .option('--docs', "also rewrite the docs' browser block")
  .parse()
  .opts<{ models: string; images: string; labels: string; docs?: boolean }>();

ensureAssets();
const out = join(paths.build, 'browser');
const require = createRequire(import.meta.url);

/** Descry's standalone build and a browser bundle of transformers.js 4.x with its ORT wasm files. */
async function buildPages(): Promise<void> {
  await buildBrowser(join(out, 'descry'));
  await build({
    stdin: { contents: "export * from '@huggingface/transformers';", resolveDir: paths.root, loader: 'js' },
    outfile: join(out, 'tjs', 'transformers.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    logLevel: 'error',
  });
  const own = createRequire(require.resolve('@huggingface/transformers'));
  const dist = dirname(own.resolve('onnxruntime-web'));
  for (const file of ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm']) {
    await copyFile(join(dist, file), join(out, 'tjs', file));
  }
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.jpg': 'image/jpeg',
};

function modelDir(name: string): string {
  return name === 'emoji-clip'
    ? join(paths.root, 'models', 'emoji-clip')
    : join(paths.root, 'bench', '.models', name);
}

/** A static server on 127.0.0.1 (port 0); with `isolated`, every response carries COOP/COEP/CORP. */
async function serve(isolated: boolean): Promise<{ server: Server; origin: string }> {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers: Record<string, string> = isolated
      ? {
          'cross-origin-opener-policy': 'same-origin',
          'cross-origin-embedder-policy': 'require-corp',
          'cross-origin-resource-policy': 'same-origin',
        }
      : {};
    if (url.pathname === '/') {
      res
        .writeHead(200, { ...headers, 'content-type': 'text/html' })
        .end('<!doctype html><title>bench</title>');
      return;
    }
    const [, mount, ...rest] = url.pathname.split('/');
    const relative = normalize(decodeURIComponent(rest.join('/')));
    const base =
      mount === 'descry' || mount === 'tjs'
        ? join(out, mount)
        : mount === 'images'
          ? paths.images
          : mount === 'models'
            ? modelDir(relative.split('/')[0]!)
            : undefined;
    const file = mount === 'models' ? relative.split('/').slice(1).join('/') : relative;
    if (!base || file.startsWith('..')) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(join(base, file));
      res
        .writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
        .end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** What one page measured. */
interface PageResult {
  isolated: boolean;
  perImageMs: number;
  longestTaskMs: number;
  tasksOver50: number;
}

/** The page side (a string: the page imports from its own server). */
function pageScript(
  origin: string,
  contender: string,
  model: string,
  count: number,
  threads: number,
): string {
  const names = JSON.stringify(labels(count));
  const image = JSON.stringify(`${origin}/images/${images.jpeg.split('/').at(-1)}`);
  return `(async () => {
    // Every long task; those overlapping the timed runs count. A task can start before them: with
    // nothing to wait for, awaiting classify never returns to the event loop, so the warm-up and
    // every timed run can be one task.
    const entries = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) entries.push({ start: e.startTime, end: e.startTime + e.duration });
    }).observe({ type: 'longtask', buffered: true });
    let from = Infinity;
    let to = Infinity;
    const labels = ${names};
    const runs = ${Number(cli.images)};
    const model = ${JSON.stringify(`${origin}/models/${model}/`)};
    const imageUrl = ${image};
    let classify;
    if (${JSON.stringify(contender)}.startsWith('descry')) {
      const { Descry, DescryWorker, ortWebBackend } = await import(${JSON.stringify(`${origin}/descry/descry.js`)});
      const mode = ${JSON.stringify(contender)};
      const descry = mode === 'descry-worker'
        ? await DescryWorker.load(model, { numThreads: ${threads} })
        : await Descry.load(model, { backend: ortWebBackend({ numThreads: ${threads}, proxy: mode === 'descry-proxy' }) });
      const classifier = await descry.compile({ labels, templates: [${JSON.stringify(TEMPLATE)}] });
      const bytes = new Uint8Array(await (await fetch(imageUrl)).arrayBuffer());
      classify = () => descry.classify(bytes, classifier, { topK: 5 });
    } else {
      const t = await import(${JSON.stringify(`${origin}/tjs/transformers.js`)});
      t.env.allowRemoteModels = false;
      t.env.allowLocalModels = true;
      // A path, not a URL: transformers.js 4.3's file check skips a local path that is a URL, and
      // the tokenizer then loads as nothing ("reading 'tokenizer_class'").
      t.env.localModelPath = '/models/';
      t.env.useBrowserCache = false;
      t.env.useWasmCache = false;
      t.env.backends.onnx.wasm.numThreads = ${threads};
      t.env.backends.onnx.wasm.wasmPaths = {
        mjs: ${JSON.stringify(`${origin}/tjs/ort-wasm-simd-threaded.asyncify.mjs`)},
        wasm: ${JSON.stringify(`${origin}/tjs/ort-wasm-simd-threaded.asyncify.wasm`)},
      };
      const id = ${JSON.stringify(model)};
      const options = { dtype: 'fp32', device: 'wasm' };
      const [tokenizer, processor, text, vision] = await Promise.all([
        t.AutoTokenizer.from_pretrained(id), t.AutoProcessor.from_pretrained(id),
        t.CLIPTextModelWithProjection.from_pretrained(id, options),
        t.CLIPVisionModelWithProjection.from_pretrained(id, options),
      ]);
      const prompts = labels.map((l) => ${JSON.stringify(TEMPLATE)}.replace('{}', l));
      const inputs = tokenizer(prompts, { padding: id.startsWith('mobileclip') ? 'max_length' : true, truncation: true });
      const { text_embeds } = await text(inputs);
      const matrix = text_embeds.normalize(2, -1).transpose(1, 0);
      classify = async () => {
        const { pixel_values } = await processor(await t.RawImage.fromURL(imageUrl));
        const { image_embeds } = await vision({ pixel_values });
        const logits = (await t.matmul(image_embeds.normalize(2, -1), matrix)).mul(100);
        return logits.tolist().map((row) => t.softmax(row).map((score, i) => ({ label: labels[i], score }))
          .sort((a, b) => b.score - a.score).slice(0, 5));
      };
    }
    await classify();
    const times = [];
    from = performance.now();
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      await classify();
      times.push(performance.now() - started);
    }
    to = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const tasks = entries.filter((e) => e.start <= to && e.end >= from).map((e) => e.end - e.start);
    times.sort((a, b) => a - b);
    return {
      isolated: crossOriginIsolated,
      perImageMs: times[Math.floor(times.length / 2)],
      longestTaskMs: Math.max(0, ...tasks),
      tasksOver50: tasks.filter((d) => d > 50).length,
    };
  })()`;
}

await mkdir(out, { recursive: true });
await buildPages();
const plain = await serve(false);
const isolated = await serve(true);
const browser = await launchChromium();
const rows: string[] = [];
let webgpuNote = 'not asked';
try {
  const page = await browser.newPage();
  await page.goto(`${isolated.origin}/`);
  const webgpu = await page.evaluate(
    `(async () => { if (!navigator.gpu) return 'navigator.gpu is undefined'; const a = await navigator.gpu.requestAdapter(); return a ? 'adapter: ' + JSON.stringify(a.info ?? {}) : 'requestAdapter() answered null'; })()`,
  );
  console.log(`WebGPU in this Chromium (headless): ${webgpu}`);
  webgpuNote = String(webgpu);
  await page.close();
  const count = Number(cli.labels);
  for (const model of cli.models.split(',')) {
    for (const [server, threads] of [
      [plain, 1],
      [isolated, 2],
    ] as const) {
      for (const contender of ['descry-page', 'descry-proxy', 'descry-worker', 'transformers.js-4']) {
        if (contender === 'transformers.js-4' && model === 'emoji-clip') continue;
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${server.origin}/`);
        try {
          const r = (await page.evaluate(
            pageScript(server.origin, contender, model, count, threads),
          )) as PageResult;
          const row = `| ${model} | ${contender} | ${r.isolated ? `isolated, ${threads} threads` : '1 thread'} | ${r.perImageMs.toFixed(0)} | ${r.longestTaskMs.toFixed(0)} | ${r.tasksOver50} |`;
          console.log(row);
          rows.push(row);
        } catch (error) {
          const row = `| ${model} | ${contender} | ${threads} | failed: ${String(error).split('\n')[0]} | | |`;
          console.log(row, errors);
          rows.push(row);
        }
        await page.close();
      }
    }
  }
} finally {
  await browser.close();
  plain.server.close();
  isolated.server.close();
}
const report = [
  '| model | contender | wasm | per image (ms, median) | longest main-thread task (ms) | tasks > 50 ms |',
  '| --- | --- | --- | ---: | ---: | ---: |',
  ...rows,
  '',
  `JPEG 640×480, ${cli.labels} labels, ${cli.images} timed runs after one warm-up, headless Chromium ${browser.version()}, ${new Date().toISOString().slice(0, 10)}. WebGPU: ${webgpuNote}.`,
  'A main-thread task is a long task (PerformanceObserver) that overlaps the timed runs; "descry-page" runs ONNX Runtime',
  'on the page\'s thread, "descry-proxy" in ONNX Runtime\'s proxy worker, "descry-worker" everything in a DescryWorker.',
  '',
  `Reproduce: \`npm run bench:browser${cli.docs ? ' -- --docs' : ''}\`.`,
].join('\n');
console.log(`\n${report}`);
writeFileSync(join(paths.root, 'bench', 'results', 'browser.md'), `# bench:browser\n\n${report}\n`);
if (cli.docs) console.log(`rewrote the browser block of ${writeMarkedBlock(paths.root, 'browser', report)}`);
