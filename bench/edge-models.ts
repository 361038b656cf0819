/**
 * Real CLIP-shaped vision encoders at the edge, measured inside workerd (`wrangler dev --local`, the
 * runtime production runs) against the Workers limits: 128 MB of memory per isolate, 64 MiB of
 * upload, CPU time per request 10 ms on the Free plan and up to 5 minutes on Paid.
 *
 * Models: the embedded emoji-clip (bundled, wrangler.toml), and the MobileCLIP-S0- and
 * ViT-B/32-shaped models of `npm run bench:models` in each vision-encoder variant
 * (bench/edge/assets.ts), served by the edge Worker of wrangler.edge.toml from local R2 with a
 * classifier of 100 labels compiled in Node (the Worker never loads a text encoder). Each variant
 * gets its own wrangler process and local state. For each:
 * - estimate: what the SDK's memory budget computes from the file (sdk/engine/memory-budget.ts),
 *   against what the Worker leaves the model (worker/service/memory-budget.ts, from the configured limits);
 * - cold first request: from wrangler's "Ready" to the first /v1/classify answer with one photo
 *   (the model read from R2, config and encoder checked, the session created, the photo encoded),
 *   wall time and CPU time; its answer (200, or 503 model_too_large for a model refused at load);
 * - warm CPU per image: median over requests of one photo each of the isolate's CPU time from a
 *   V8 CPU profile (bench/edge/cpu-profile.ts), split into decode, resize, encoder, scoring and the
 *   service around them;
 * - isolate peak: the JS heap and ArrayBuffers sampled through the inspector over the cold request
 *   and the largest request the limits accept (as many PNGs of DESCRY_MAX_IMAGE_PIXELS as the
 *   request limits allow, sent twice), plus the WebAssembly memories from a heap snapshot at the end
 *   (bench/isolate-memory.mjs's method: an upper bound, it counts garbage V8 has not collected);
 * - upload: `wrangler deploy --dry-run --outdir`, uncompressed, of the Worker with that encoder
 *   bundled as a Data module (the R2 Worker's own upload is given once);
 * - plans it fits: Workers Free (isolate under 128 MB, median warm CPU ≤ 10 ms, upload ≤ 64 MiB or
 *   R2), Workers Paid (under 128 MB; CPU ≤ 5 min), browser and Node (onnxruntime-web loads it:
 *   bench:edge-variants; no isolate limit).
 * Then the Workers Free figure: warm CPU of /v1/classify on the embedded model with one photo of at
 * most 1 Mpx (PNG 1000×1000 and JPEG 640×480), by part.
 *
 *   npm run bench:edge [-- --models emoji-clip,mobileclip-s0,clip-vit-base-patch32] [--variants int8w,fp32]
 *                          [--warm 5] [--no-size] [--unguarded]
 *
 * `--unguarded` turns the Worker's memory budget off, so that every variant loads and its real
 * peak can be set beside its estimate (bench/results/edge-models-unguarded.md, for the models it
 * ran). Writes bench/results/edge-models.md when run with every model and variant.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Descry, estimateEncoderMemory, type OnnxBackend, ortNodeBackend, readOnnxSummary } from 'descry';
import { encode } from 'fast-png';
import { writeMarkedBlock } from '../scripts/doc-blocks.mjs';
import { readServiceConfig } from '../worker/service/config.js';
import { workersMemoryBudget } from '../worker/service/memory-budget.js';
import { benchImages, type EdgeModel, edgeModels, root, type Variant } from './edge/assets.js';
import { bundledUploadBytes, uploadBytes, WORKER_SIZE_LIMIT } from './edge/bundle-size.js';
import {
  type CpuTime,
  type Inspector,
  ModuleMap,
  PARTS,
  startProfile,
  stopProfile,
} from './edge/cpu-profile.js';
import { markdownTable } from './edge/table.js';
import { type EdgeHost, seedState, startEdgeWorker } from './edge/workerd-host.js';
// @ts-expect-error: plain JavaScript helper of the other benches
import { connectIsolate } from './isolate-memory.mjs';
// @ts-expect-error: plain JavaScript helper of the other benches
import { deployedVars } from './service-hosts.mjs';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const WARM = Number(arg('warm') ?? 5);
/** Run with the Worker's memory budget off (DESCRY_MEMORY_LIMIT_MB=0): what each variant really takes. */
const UNGUARDED = process.argv.includes('--unguarded');
const MiB = 2 ** 20;
const MB = 1e6;

/** The edge service's vars (wrangler.edge.toml's [vars]), as Worker env strings. */
function edgeVars(): Record<string, string> {
  const toml = readFileSync(join(root, 'wrangler.edge.toml'), 'utf8');
  const vars = toml.slice(toml.indexOf('[vars]')).split(/\n\[/)[0]!;
  return Object.fromEntries([...vars.matchAll(/^(\w+)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1]!, m[2]!]));
}

function labels(count = 100): string[] {
  const all = (
    JSON.parse(readFileSync(join(root, 'tests/fixtures/emoji-classes.json'), 'utf8')) as { name: string }[]
  ).map((c) => c.name);
  const step = all.length / count;
  return Array.from({ length: count }, (_, i) => all[Math.floor(i * step)]!);
}

/** A PNG of `side`² pixels, a colour per row (decoding costs the same for any content). */
function png(side: number): string {
  const data = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) data.fill((y * 37) & 255, y * side * 3, (y + 1) * side * 3);
  return Buffer.from(encode({ width: side, height: side, data, channels: 3, depth: 8 })).toString('base64');
}

const photo = (name: string) => readFileSync(join(root, 'bench', '.images', name)).toString('base64');

interface Isolate extends Inspector {
  during<T>(work: () => Promise<T>): Promise<{ result: T; sampled: number }>;
  wasmMemories(): Promise<number>;
  close(): void;
}

interface Row {
  model: string;
  variant: string;
  fileBytes: number;
  estimateBytes: number;
  availableBytes: number;
  answer: string;
  coldMs?: number;
  cold?: CpuTime;
  warm?: CpuTime[];
  peakBytes?: number;
  wasmBytes?: number;
  /** JS heap + ArrayBuffers sampled: after start, over the cold request, over the largest requests. */
  jsIdleBytes?: number;
  jsColdBytes?: number;
  jsLargestBytes?: number;
  /** JS heap + ArrayBuffers after a full collection at the end: what is live, garbage aside. */
  jsLiveBytes?: number;
  largest?: string;
  uploadBytes?: number;
  /** Lowest cosine between the Worker's /v1/embeddings and onnxruntime-node's on the same encoder. */
  parityCosine?: number;
  /** This variant against fp32, both on onnxruntime-node over the bench photos. */
  accuracy?: { minCosine: number; meanCosine: number; top1: number; images: number };
  restarts: number;
  note?: string;
}

async function classify(host: EdgeHost, images: string[], classifier: string): Promise<Response> {
  // wrangler dev sometimes reloads the Worker just after its first request ("Your worker restarted
  // mid-request"); such an answer is retried once and counted.
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${host.base}/v1/classify`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ images, classifier }),
    });
    if (response.status !== 503 || attempt > 0) return response;
    const text = await response.clone().text();
    if (!text.includes('restarted mid-request')) return response;
    restarts++;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
let restarts = 0;

async function measure(
  model: EdgeModel,
  variant: Variant,
  classifierBytes: Uint8Array,
  vars: Record<string, string>,
  reference: NodeReference,
): Promise<Row> {
  const embedded = model.name === 'emoji-clip';
  const config = embedded ? 'wrangler.toml' : 'wrangler.edge.toml';
  const limits = readServiceConfig(vars).limits;
  // The budget the Worker applies (none when unguarded: then the deployed one, for the column).
  const budget =
    workersMemoryBudget(limits) ??
    workersMemoryBudget(readServiceConfig({ ...vars, DESCRY_MEMORY_LIMIT_MB: '128' }).limits)!;
  const fileBytes = readFileSync(join(model.folder, variant.file)).byteLength;
  const summary = readOnnxSummary(
    new Uint8Array(readFileSync(join(model.folder, variant.file))),
    variant.file,
  );
  const preprocessor = JSON.parse(readFileSync(join(model.folder, 'preprocessor_config.json'), 'utf8'));
  const side = preprocessor.crop_size?.height ?? preprocessor.crop_size ?? preprocessor.size?.shortest_edge;
  const estimate = estimateEncoderMemory(
    summary,
    fileBytes,
    { pixel_values: [budget.imagesPerRun ?? 1, 3, side, side] },
    true,
  );
  const row: Row = {
    model: model.name,
    variant: variant.dtype,
    fileBytes,
    // As the ledger counts it: ONNX Runtime, and the larger of the file in JavaScript and a request.
    estimateBytes: estimate.onnxRuntimeBytes + Math.max(fileBytes, budget.requestBytes ?? 0),
    availableBytes: budget.limitBytes - (budget.reservedBytes ?? 0),
    answer: '',
    restarts: 0,
  };
  const state = mkdtempSync(join(tmpdir(), 'descry-edge-state-'));
  const prefix = `${model.name}/${variant.dtype}/`;
  await seedState(config, state, {
    ...(embedded
      ? {}
      : {
          r2: {
            [`${prefix}config.json`]: readFileSync(join(model.folder, 'config.json')),
            [`${prefix}preprocessor_config.json`]: readFileSync(
              join(model.folder, 'preprocessor_config.json'),
            ),
            [`${prefix}onnx/vision_model.onnx`]: readFileSync(join(model.folder, variant.file)),
          },
        }),
    kv: { 'classifiers/bench': classifierBytes },
  });
  restarts = 0;
  const host = await startEdgeWorker({
    config,
    state,
    vars: {
      ...vars,
      DESCRY_DEV: 'true',
      DESCRY_API_KEYS: '',
      ...(embedded ? {} : { DESCRY_MODEL_R2_PREFIX: prefix }),
    },
  });
  let isolate: Isolate | undefined;
  try {
    isolate = (await connectIsolate(host.inspector, () =>
      fetch(`${host.base}/healthz`).catch(() => {}),
    )) as Isolate;
    const modules = await ModuleMap.read(isolate);
    const jpeg = photo('photo-640x480.jpg');
    row.jsIdleBytes = (
      await isolate.during(() => new Promise((resolve) => setTimeout(resolve, 300)))
    ).sampled;
    // Cold: the first request after start, CPU from a profile, memory sampled.
    await startProfile(isolate);
    const started = performance.now();
    const cold = await isolate.during(async () => {
      const response = await classify(host, [jpeg], 'bench');
      return { status: response.status, body: await response.text() };
    });
    row.coldMs = performance.now() - started;
    row.cold = await stopProfile(isolate, modules);
    let sampled = cold.sampled;
    row.jsColdBytes = cold.sampled;
    if (cold.result.status !== 200) {
      const body = JSON.parse(cold.result.body) as { code?: string; details?: { needBytes?: number } };
      row.answer = `${cold.result.status} ${body.code ?? cold.result.body.slice(0, 80)}`;
      if (body.details?.needBytes)
        row.note = `refused: needs ${(body.details.needBytes / MiB).toFixed(0)} MiB`;
    } else {
      row.answer = '200';
      // Warm: one photo per request, a profile each.
      row.warm = [];
      for (let i = 0; i < WARM + 1; i++) {
        await startProfile(isolate);
        const response = await classify(host, [jpeg], 'bench');
        await response.arrayBuffer();
        const time = await stopProfile(isolate, modules);
        if (i > 0) row.warm.push(time); // the first warm one still compiles code paths
      }
      // Parity: the Worker's embeddings of the parity photos against onnxruntime-node's.
      const embedded = await fetch(`${host.base}/v1/embeddings`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ images: PARITY_PHOTOS.map(photo) }),
      });
      if (embedded.ok) {
        const rows = ((await embedded.json()) as { images: number[][] }).images;
        row.parityCosine = Math.min(...rows.map((r, i) => cosine(r, reference.parity[i]!)));
      } else {
        row.note = `/v1/embeddings answered ${embedded.status}`;
      }
      // Every decoder once (a WebP and the PNG photo too), so that their wasm memories are counted.
      for (const other of ['photo-640x480.webp']) {
        await (await classify(host, [photo(other)], 'bench')).arrayBuffer();
      }
      // The largest request the limits accept.
      const sideOf = Math.floor(Math.sqrt(limits.maxImagePixels));
      const count = Math.max(
        1,
        Math.min(limits.maxImages, Math.floor(limits.maxRequestPixels / sideOf ** 2)),
      );
      const image = png(sideOf);
      row.largest = `${count} PNG(s) of ${sideOf}×${sideOf}`;
      const heavy = await isolate.during(async () => {
        const statuses: number[] = [];
        for (let i = 0; i < 2; i++) {
          const response = await classify(
            host,
            Array.from({ length: count }, () => image),
            'bench',
          );
          await response.arrayBuffer();
          statuses.push(response.status);
        }
        return statuses;
      });
      sampled = Math.max(sampled, heavy.sampled);
      row.jsLargestBytes = heavy.sampled;
      if (heavy.result.some((s) => s !== 200)) row.answer += `, largest: ${heavy.result.join('/')}`;
    }
    row.wasmBytes = await isolate.wasmMemories();
    row.peakBytes = sampled + row.wasmBytes;
    // The isolate answers the inspector between tasks: requests keep it turning while it collects.
    const pumping = setInterval(() => fetch(`${host.base}/healthz`).catch(() => {}), 100);
    try {
      await isolate.call('HeapProfiler.collectGarbage');
      const { result: usage } = await isolate.call('Runtime.getHeapUsage');
      row.jsLiveBytes = Number(usage.usedSize) + Number(usage.backingStorageSize);
    } finally {
      clearInterval(pumping);
    }
  } catch (error) {
    row.answer = row.answer || 'failed';
    row.note = `${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
    console.error(host.output().slice(-3000));
  } finally {
    isolate?.close();
    await host.stop();
    rmSync(state, { recursive: true, force: true });
  }
  row.restarts = restarts;
  return row;
}

/**
 * Photos whose embeddings the Worker and onnxruntime-node are compared on: a JPEG and a WebP of
 * 640×480, within every configuration's image limit (the edge Worker's 0.44 Mpx refuses the 1 Mpx PNG).
 */
const PARITY_PHOTOS = ['photo-640x480.jpg', 'photo-640x480.webp'];

/** What onnxruntime-node computes for one variant: the parity photos' embeddings, and its cost against fp32. */
interface NodeReference {
  parity: number[][];
  accuracy?: Row['accuracy'];
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

/**
 * onnxruntime-node on `variant` of `model`: the parity photos' embeddings, and over every bench
 * photo the cosine with fp32's embedding and whether the classifier's top label is fp32's.
 */
async function nodeReference(
  model: EdgeModel,
  variant: Variant,
  backend: OnnxBackend,
  classifierBytes: Uint8Array,
  fp32: { embeddings: number[][]; top: string[] } | undefined,
): Promise<{ reference: NodeReference; embeddings: number[][]; top: string[] }> {
  const descry = await Descry.load(model.folder, { backend, visionDtype: variant.dtype });
  const classifier = descry.loadClassifier(classifierBytes);
  const files = benchImages();
  const matrix = await descry.embedImages(files.map((f) => new Uint8Array(readFileSync(f))));
  const embeddings = Array.from({ length: matrix.rows }, (_, i) =>
    Array.from(matrix.data.subarray(i * matrix.cols, (i + 1) * matrix.cols)),
  );
  const top = (await descry.classifyEmbeddings(matrix, classifier)).map((r) => r.predictions[0]!.label);
  const parity = PARITY_PHOTOS.map((name) => embeddings[files.findIndex((f) => f.endsWith(`/${name}`))]!);
  let accuracy: Row['accuracy'];
  if (fp32) {
    const cosines = embeddings.map((e, i) => cosine(e, fp32.embeddings[i]!));
    accuracy = {
      minCosine: Math.min(...cosines),
      meanCosine: cosines.reduce((a, b) => a + b, 0) / cosines.length,
      top1: top.filter((label, i) => label === fp32.top[i]).length / top.length,
      images: top.length,
    };
  }
  return { reference: { parity, ...(accuracy ? { accuracy } : {}) }, embeddings, top };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** The Free plan figure: warm CPU of the embedded model per photo, by part. */
async function freePlanFigure(classifierBytes: Uint8Array): Promise<string[]> {
  const state = mkdtempSync(join(tmpdir(), 'descry-edge-state-'));
  await seedState('wrangler.toml', state, { kv: { 'classifiers/bench': classifierBytes } });
  const host = await startEdgeWorker({
    config: 'wrangler.toml',
    state,
    vars: { DESCRY_DEV: 'true', DESCRY_API_KEYS: '' },
  });
  const lines: string[] = [];
  let isolate: Isolate | undefined;
  try {
    isolate = (await connectIsolate(host.inspector, () =>
      fetch(`${host.base}/healthz`).catch(() => {}),
    )) as Isolate;
    const modules = await ModuleMap.read(isolate);
    const body: string[][] = [];
    for (const [name, file] of [
      ['PNG 1000×1000 (1 Mpx)', 'photo-1000x1000.png'],
      ['JPEG 640×480', 'photo-640x480.jpg'],
    ] as const) {
      const image = photo(file);
      for (let i = 0; i < 2; i++) await (await classify(host, [image], 'bench')).arrayBuffer();
      const times: CpuTime[] = [];
      for (let i = 0; i < Math.max(WARM, 9); i++) {
        await startProfile(isolate, 100);
        await (await classify(host, [image], 'bench')).arrayBuffer();
        times.push(await stopProfile(isolate, modules));
      }
      const cpu = median(times.map((t) => t.cpuMs));
      body.push([
        name,
        `${cpu.toFixed(1)} ms`,
        cpu <= 10 ? 'yes' : 'no',
        ...PARTS.map((part) => `${median(times.map((t) => t.parts[part])).toFixed(1)}`),
      ]);
    }
    lines.push(
      ...markdownTable(
        ['photo', 'CPU median', '≤ 10 ms', ...PARTS.map((p) => `${p} ms`)],
        ['left', 'right', 'left', ...PARTS.map(() => 'right' as const)],
        body,
      ),
    );
  } finally {
    isolate?.close();
    await host.stop();
    rmSync(state, { recursive: true, force: true });
  }
  return lines;
}

function plans(row: Row, r2UploadBytes: number | undefined): string {
  if (row.answer !== '200' || row.peakBytes === undefined) return 'browser, Node';
  const memory = row.peakBytes < 128 * MB;
  const cpu = median((row.warm ?? []).map((t) => t.cpuMs));
  const upload = (row.uploadBytes ?? Number.POSITIVE_INFINITY) <= WORKER_SIZE_LIMIT ? 'bundled' : 'R2';
  const fits = [];
  if (memory && cpu <= 10 && (upload === 'bundled' || (r2UploadBytes ?? 0) <= WORKER_SIZE_LIMIT)) {
    fits.push(`Workers Free (${upload})`);
  }
  if (memory) fits.push(`Workers Paid (${upload})`);
  fits.push('browser', 'Node');
  return fits.join(', ');
}

async function main() {
  const wanted = arg('variants')?.split(',');
  const models = edgeModels((arg('models') ?? 'emoji-clip,mobileclip-s0,clip-vit-base-patch32').split(','));
  const node = (await ortNodeBackend()) as OnnxBackend;
  const rows: Row[] = [];
  let r2UploadBytes: number | undefined;
  if (!process.argv.includes('--no-size')) r2UploadBytes = uploadBytes('wrangler.edge.toml');
  const classifiers = new Map<string, Uint8Array>();
  for (const model of models) {
    const descry = await Descry.load(model.folder, { backend: node });
    const classifier = await descry.compile({ labels: labels(), templates: ['a photo of a {}.'] });
    classifiers.set(model.name, classifier.toBytes());
    const embedded = model.name === 'emoji-clip';
    const vars = {
      ...(embedded ? deployedVars() : edgeVars()),
      ...(UNGUARDED ? { DESCRY_MEMORY_LIMIT_MB: '0' } : {}),
    };
    // fp32 first on onnxruntime-node: the baseline of every variant's accuracy cost.
    const fp32Variant = model.variants.find((v) => v.dtype === 'fp32')!;
    const fp32 = await nodeReference(model, fp32Variant, node, classifiers.get(model.name)!, undefined);
    for (const variant of model.variants.filter((v) => !wanted || wanted.includes(v.dtype))) {
      console.error(`${model.name} ${variant.dtype} …`);
      const { reference } =
        variant === fp32Variant
          ? fp32
          : await nodeReference(model, variant, node, classifiers.get(model.name)!, fp32);
      const row = await measure(model, variant, classifiers.get(model.name)!, vars, reference);
      if (reference.accuracy) row.accuracy = reference.accuracy;
      if (!process.argv.includes('--no-size')) {
        row.uploadBytes = embedded
          ? uploadBytes('wrangler.toml')
          : bundledUploadBytes(`${model.name}-${variant.dtype}`, model.folder, variant.file);
      }
      rows.push(row);
      console.error(JSON.stringify({ ...row, warm: row.warm?.map((t) => t.cpuMs) }));
    }
  }
  const mib = (bytes: number | undefined) => (bytes === undefined ? '–' : `${(bytes / MiB).toFixed(1)} MiB`);
  const mb = (bytes: number | undefined, digits = 0) =>
    bytes === undefined ? '–' : `${(bytes / MB).toFixed(digits)} MB`;
  const body = rows.map((row) => {
    const cpu = row.warm?.length ? median(row.warm.map((t) => t.cpuMs)) : undefined;
    const encoder = row.warm?.length ? median(row.warm.map((t) => t.parts.encoder)) : undefined;
    return [
      row.model,
      row.variant,
      mib(row.fileBytes),
      row.model === 'emoji-clip'
        ? 'not sized (bundled)'
        : `${mib(row.estimateBytes)} of ${mib(row.availableBytes)}`,
      `${row.answer}${row.note ? ` (${row.note})` : ''}`,
      row.coldMs === undefined || !row.cold
        ? '–'
        : `${(row.coldMs / 1000).toFixed(1)} s (CPU ${(row.cold.cpuMs / 1000).toFixed(1)} s, encoder ${(row.cold.parts.encoder / 1000).toFixed(1)})`,
      cpu === undefined ? '–' : `${cpu.toFixed(0)} ms (encoder ${encoder!.toFixed(0)})`,
      row.peakBytes === undefined
        ? '–'
        : `${mb(row.peakBytes, 1)} (JS ${mb(row.jsIdleBytes)} / ${mb(row.jsColdBytes)} / ${mb(row.jsLargestBytes)} / ${mb(row.jsLiveBytes)}, wasm ${mb(row.wasmBytes)})`,
      row.uploadBytes === undefined
        ? '–'
        : `${mib(row.uploadBytes)}${row.uploadBytes > WORKER_SIZE_LIMIT ? ' (over 64)' : ''}`,
      row.parityCosine === undefined ? '–' : row.parityCosine.toFixed(5),
      row.accuracy
        ? `${row.accuracy.minCosine.toFixed(4)} / ${row.accuracy.meanCosine.toFixed(4)}, top-1 ${(100 * row.accuracy.top1).toFixed(0)}%`
        : row.variant === 'fp32'
          ? '(baseline)'
          : '–',
      plans(row, r2UploadBytes),
    ];
  });
  const edge = edgeVars();
  const lines = [
    ...(UNGUARDED
      ? [
          'Budget OFF (DESCRY_MEMORY_LIMIT_MB=0): every variant loads, to compare what it takes with the estimate.',
          '',
        ]
      : []),
    'Inside workerd (`wrangler dev --local`). emoji-clip: the embedded model, bundled (wrangler.toml, its deployed limits:',
    `${deployedVars().DESCRY_MAX_IMAGE_PIXELS} px per image); the others: the edge Worker (wrangler.edge.toml) reading the`,
    `vision encoder from local R2, limits ${edge.DESCRY_MAX_IMAGE_PIXELS} px per image, ${edge.DESCRY_MAX_REQUEST_PIXELS} px`,
    `and ${edge.DESCRY_MAX_IMAGES} images per request; classifier: 100 labels compiled in Node. "estimate": the SDK's memory`,
    'budget for the encoder (ONNX Runtime, and the larger of the file in JavaScript and a request) against what the',
    'Worker leaves it (worker/service/memory-budget.ts); a model over it is refused at load with 503 model_too_large (the',
    'bundled embedded model is not sized: bench:heavy measures it). "isolate peak": JS heap + ArrayBuffers sampled over the cold and the largest accepted',
    'request, plus WebAssembly memories (an upper bound: it counts garbage not collected yet); Workers allow 128 MB.',
    'In brackets: JS heap + ArrayBuffers idle after start / over the cold request / over the largest requests / live',
    'after a full collection at the end, and the WebAssembly memories (ONNX Runtime and the image decoders) at the end.',
    `"upload": \`wrangler deploy --dry-run\` with the encoder bundled as a Data module (the R2 Worker alone: ${mib(r2UploadBytes)}).`,
    'Cold: the first /v1/classify after start (model read from R2 or the bundle, encoder checked and sized, session',
    'created, one 640×480 JPEG encoded), wall time and CPU time, "encoder" the CPU in ONNX Runtime and sdk/engine (the',
    `session's creation and first run). Warm CPU: median of ${WARM} requests of one 640×480 JPEG, V8 CPU profile of the isolate.`,
    '"parity": lowest cosine between the Worker\'s /v1/embeddings and onnxruntime-node\'s on the same encoder (a JPEG and',
    `a WebP of 640×480). "vs fp32": the variant against fp32, both on onnxruntime-node over the ${benchImages().length} bench photos: lowest / mean`,
    "cosine of the embeddings, and how often the 100-label classifier's top label is the same.",
    '',
    ...markdownTable(
      [
        'model',
        'variant',
        'file',
        'estimate',
        'answer',
        'cold first request',
        'warm CPU / image',
        'isolate peak',
        'upload',
        'parity',
        'vs fp32',
        'fits',
      ],
      [
        'left',
        'left',
        'right',
        'right',
        'left',
        'right',
        'right',
        'right',
        'right',
        'right',
        'right',
        'left',
      ],
      body,
    ),
  ];
  const restartsSeen = rows.filter((r) => r.restarts > 0);
  if (restartsSeen.length) {
    lines.push(
      '',
      `wrangler dev reloaded the Worker mid-request for: ${restartsSeen.map((r) => `${r.model} ${r.variant}`).join(', ')} (retried).`,
    );
  }
  if (models.some((m) => m.name === 'emoji-clip') && !UNGUARDED) {
    lines.push(
      '',
      'Workers Free plan: warm CPU of /v1/classify, embedded model, one photo, by part (medians):',
      '',
    );
    lines.push(...(await freePlanFigure(classifiers.get('emoji-clip')!)));
  }
  lines.push(
    '',
    `Reproduce: \`npm run bench:edge${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` ` +
      `(Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} when it ended; ${benchImages().length} bench photos).`,
  );
  const text = lines.join('\n');
  console.log(text);
  // The unguarded run is a calibration of the estimates: written for whichever models it ran.
  if (UNGUARDED && !wanted) writeFileSync(join(root, 'bench/results/edge-models-unguarded.md'), `${text}\n`);
  else if (!arg('models') && !wanted) {
    writeFileSync(join(root, 'bench/results/edge-models.md'), `${text}\n`);
    writeMarkedBlock(root, 'edge-models', fitTable(rows, r2UploadBytes).join('\n'));
  }
}

/** The docs' "Which model fits where": one line per model and variant, from the same rows. */
function fitTable(rows: Row[], r2UploadBytes: number | undefined): string[] {
  const body = rows.map((row) => {
    const cpu = row.warm?.length ? median(row.warm.map((t) => t.cpuMs)) : undefined;
    return [
      `${row.model} ${row.variant}`,
      `${(row.fileBytes / MiB).toFixed(1)} MiB`,
      row.answer === '200' ? 'loads' : `refused (${row.answer})`,
      row.peakBytes === undefined || row.answer !== '200' ? '–' : `${(row.peakBytes / MB).toFixed(0)} MB`,
      cpu === undefined ? '–' : `${cpu.toFixed(0)} ms`,
      row.coldMs === undefined || row.answer !== '200' ? '–' : `${(row.coldMs / 1000).toFixed(1)} s`,
      row.uploadBytes === undefined
        ? '–'
        : `${(row.uploadBytes / MiB).toFixed(1)} MiB${row.uploadBytes > WORKER_SIZE_LIMIT ? ' (over)' : ''}`,
      row.parityCosine === undefined ? '–' : row.parityCosine.toFixed(4),
      row.accuracy ? `${row.accuracy.meanCosine.toFixed(4)}, ${(100 * row.accuracy.top1).toFixed(0)}%` : '–',
      plans(row, r2UploadBytes),
    ];
  });
  return [
    'Measured inside workerd by `npm run bench:edge` (bench/results/edge-models.md has every column and the method):',
    'isolate peak on the largest request the limits accept (Workers allow 128 MB), warm CPU per image (the Free plan',
    'allows 10 ms), the cold first request, the upload with the encoder bundled (`wrangler deploy --dry-run`, 64 MiB on',
    'every plan; from R2 the Worker alone uploads ' +
      `${r2UploadBytes === undefined ? '–' : `${(r2UploadBytes / MiB).toFixed(1)} MiB`}), parity (lowest cosine of the Worker's`,
    "embeddings against onnxruntime-node's) and the variant's cost against fp32 (mean cosine, top-1 agreement). Random-weight",
    'models with the real architectures (`npm run bench:models`): memory and CPU are the real ones, accuracy is not.',
    `Load average ${loadavg()[0]!.toFixed(1)} when measured: the isolate peak counts garbage V8 has not collected yet, which grows with load.`,
    '',
    ...markdownTable(
      [
        'model',
        'file',
        'at 128 MB',
        'isolate peak',
        'warm CPU / image',
        'cold',
        'upload',
        'parity',
        'vs fp32',
        'fits',
      ],
      ['left', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
      body,
    ),
  ];
}

await main();
