/**
 * How much each vision-encoder variant of a photo-scale model changes its answers, and what it costs,
 * against float32 on the same random-weight model (bench/models: onnx_variants.py makes the
 * variants, make_edge_variants.py the int8 ones):
 * - cosine of each image embedding with the float32 one (min and median over the bench photos);
 * - top-1 agreement with float32 of a compiled classifier of 100 labels (emoji names, "a photo of
 *   a {}."), how often float32's top 1 is in the variant's top 5, and Spearman's ρ between the two
 *   rankings of all 100 labels (the smallest over the photos); "distinct" is how many different
 *   float32 top-1 labels the photos get, which says how much top-1 agreement can tell (random
 *   weights give similar embeddings for all photos);
 * - file size, ONNX Runtime's wasm memory after the session ran once (its high-water mark: what the
 *   runtime adds to an isolate), and warm encoder time per image, as a ratio to float32.
 * Every contender runs in its own process on onnxruntime-web (wasm, 1 thread: what the Worker runs);
 * `--backend node` uses onnxruntime-node instead (faster, but other int8 kernels than the edge).
 *
 *   npm run bench:edge-variants [-- --models mobileclip-s0,clip-vit-base-patch32] [--variants fp32,int8,int8w]
 *                                  [--backend web|node] [--images 35]
 *
 * Writes bench/results/edge-variants.md when run with the default models, variants and backend.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Descry, type OnnxBackend, ortNodeBackend, ortWebBackend } from 'descry';
import { benchImages, type EdgeModel, edgeModels, root, type Variant } from './edge/assets.js';
import { markdownTable } from './edge/table.js';
import { watchWasmMemory } from './edge/wasm-memory.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

/** 100 emoji names, spread over the whole list, as the classifier's labels. */
function labels(count = 100): string[] {
  const all = (
    JSON.parse(readFileSync(join(root, 'tests/fixtures/emoji-classes.json'), 'utf8')) as { name: string }[]
  ).map((c) => c.name);
  const step = all.length / count;
  return Array.from({ length: count }, (_, i) => all[Math.floor(i * step)]!);
}
const TEMPLATE = 'a photo of a {}.';

interface ChildResult {
  embeddings: string;
  dim: number;
  top5: string[][];
  /** Per image, the cosine of each label, in the classifier's order. */
  cosines: number[][];
  encoderMs: number[];
  createMs: number;
  wasmBytes: number;
}

/** A backend whose sessions time their runs. */
function timed(backend: OnnxBackend, times: number[]): OnnxBackend {
  return {
    ...backend,
    name: backend.name,
    async createSession(model) {
      const session = await backend.createSession(model);
      return {
        ...session,
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        async run(feeds, outputs) {
          const started = performance.now();
          const result = await session.run(feeds, outputs);
          times.push(performance.now() - started);
          return result;
        },
        release: () => session.release(),
      };
    },
  };
}

async function child(folder: string, dtype: Variant['dtype'], classifierPath: string, count: number) {
  const wasm = watchWasmMemory();
  const times: number[] = [];
  const base =
    arg('backend') === 'node' ? ((await ortNodeBackend()) as OnnxBackend) : ortWebBackend({ numThreads: 1 });
  const model = await Descry.load(folder, { backend: timed(base, times), visionDtype: dtype });
  const classifier = model.loadClassifier(new Uint8Array(readFileSync(classifierPath)));
  const files = benchImages().slice(0, count);
  const started = performance.now();
  await model.embedImages([new Uint8Array(readFileSync(files[0]!))]);
  const createMs = performance.now() - started - times[0]!;
  times.length = 0;
  const rows: Float32Array[] = [];
  const top5: string[][] = [];
  const cosines: number[][] = [];
  for (const file of files) {
    const embedding = await model.embedImages([new Uint8Array(readFileSync(file))]);
    rows.push(embedding.data);
    const [result] = await model.classifyEmbeddings(embedding, classifier);
    top5.push(result!.predictions.slice(0, 5).map((p) => p.label));
    const byLabel = new Map(result!.predictions.map((p) => [p.label, p.cosine]));
    cosines.push(classifier.labels.map((label) => byLabel.get(label)!));
  }
  const dim = rows[0]!.length;
  const all = new Float32Array(rows.length * dim);
  rows.forEach((row, i) => {
    all.set(row, i * dim);
  });
  const result: ChildResult = {
    embeddings: Buffer.from(all.buffer).toString('base64'),
    dim,
    top5,
    cosines,
    encoderMs: times,
    createMs,
    wasmBytes: wasm(),
  };
  process.stdout.write(JSON.stringify(result));
}

/** Spearman's rank correlation of two score vectors (no ties among float cosines). */
function spearman(a: number[], b: number[]): number {
  const ranks = (v: number[]) => {
    const order = v.map((_, i) => i).sort((i, j) => v[i]! - v[j]!);
    const r = new Array<number>(v.length);
    order.forEach((i, rank) => {
      r[i] = rank;
    });
    return r;
  };
  const [ra, rb] = [ranks(a), ranks(b)];
  const n = a.length;
  const d2 = ra.reduce((sum, r, i) => sum + (r - rb[i]!) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function parent() {
  const models = edgeModels((arg('models') ?? 'mobileclip-s0,clip-vit-base-patch32').split(','));
  const wanted = arg('variants')?.split(',');
  const backend = arg('backend') ?? 'web';
  const count = Math.min(Number(arg('images') ?? 35), benchImages().length);
  const scratch = mkdtempSync(join(tmpdir(), 'descry-edge-variants-'));
  const lines: string[] = [];
  try {
    for (const model of models) {
      lines.push(...(await compare(model, wanted, backend, count, scratch)), '');
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  lines.push(
    `Reproduce: \`npm run bench:edge-variants${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` ` +
      `(${count} photos, onnxruntime-${backend}${backend === 'web' ? ' wasm, 1 thread' : ''}, Node ${process.version}, ` +
      `load average ${loadavg()[0]!.toFixed(1)} when it ended).`,
  );
  const text = lines.join('\n');
  console.log(text);
  if (!arg('models') && !wanted && backend === 'web' && !arg('images')) {
    writeFileSync(join(root, 'bench/results/edge-variants.md'), `${text}\n`);
  }
}

async function compare(
  model: EdgeModel,
  wanted: string[] | undefined,
  backend: string,
  count: number,
  scratch: string,
): Promise<string[]> {
  // The classifier comes from the float32 text encoder on onnxruntime-node, as `descry compile` makes it.
  const text = await Descry.load(model.folder, { backend: (await ortNodeBackend()) as OnnxBackend });
  const classifierPath = join(scratch, `${model.name}.descry`);
  writeFileSync(classifierPath, (await text.compile({ labels: labels(), templates: [TEMPLATE] })).toBytes());
  const variants = model.variants.filter((v) => !wanted || wanted.includes(v.dtype) || v.dtype === 'fp32');
  const results = new Map<string, ChildResult>();
  for (const variant of variants) {
    console.error(`${model.name} ${variant.dtype} …`);
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'bench/edge-variants.ts'),
        '--child',
        model.folder,
        variant.dtype,
        classifierPath,
        String(count),
        '--backend',
        backend,
      ],
      { cwd: root, maxBuffer: 256 * 2 ** 20, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    results.set(variant.dtype, JSON.parse(out.toString()) as ChildResult);
  }
  const reference = results.get('fp32')!;
  const refRows = new Float32Array(Buffer.from(reference.embeddings, 'base64').buffer.slice(0));
  const refMs = median(reference.encoderMs);
  const distinct = new Set(reference.top5.map((t) => t[0])).size;
  const n = reference.top5.length;
  const pairwise: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < reference.dim; k++)
        dot += refRows[i * reference.dim + k]! * refRows[j * reference.dim + k]!;
      pairwise.push(dot);
    }
  const body = variants.map((variant) => {
    const r = results.get(variant.dtype)!;
    const rows = new Float32Array(Buffer.from(r.embeddings, 'base64').buffer.slice(0));
    const cosines = reference.top5.map((_, i) => {
      let dot = 0;
      for (let k = 0; k < r.dim; k++) dot += rows[i * r.dim + k]! * refRows[i * r.dim + k]!;
      return dot;
    });
    const top1 = reference.top5.filter((t, i) => t[0] === r.top5[i]![0]).length;
    const inTop5 = reference.top5.filter((t, i) => r.top5[i]!.includes(t[0]!)).length;
    const rho = reference.cosines.map((c, i) => spearman(c, r.cosines[i]!));
    const ms = median(r.encoderMs);
    return [
      variant.dtype,
      variant.what,
      `${(statSync(join(model.folder, variant.file)).size / 2 ** 20).toFixed(1)} MiB`,
      `${Math.min(...cosines).toFixed(5)} / ${median(cosines).toFixed(5)}`,
      `${top1}/${cosines.length}`,
      `${inTop5}/${cosines.length}`,
      `${Math.min(...rho).toFixed(4)}`,
      `${(r.wasmBytes / 2 ** 20).toFixed(0)} MiB`,
      `${ms.toFixed(0)} ms (${(ms / refMs).toFixed(2)}x)`,
      `${(r.createMs / 1000).toFixed(1)} s`,
    ];
  });
  return [
    `${model.name}: ${count} photos; float32 gives them ${distinct} distinct top-1 label(s) of 100 (the random-weight ` +
      `embeddings of different photos have a median cosine of ${median(pairwise).toFixed(3)} with each other, so top-1 ` +
      'agreement says little; the rank correlation ρ of the 100 label cosines per photo says more).',
    '',
    ...markdownTable(
      [
        'variant',
        'what',
        'file',
        'cosine min / median',
        'top-1 = fp32',
        'fp32 top-1 in top 5',
        'label ranking ρ (min)',
        'ORT wasm memory',
        'encoder warm (vs fp32)',
        'session + first run',
      ],
      ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
      body,
    ),
  ];
}

if (process.argv[2] === '--child') {
  const [folder, dtype, classifierPath, count] = process.argv.slice(3);
  await child(folder!, dtype as Variant['dtype'], classifierPath!, Number(count));
} else {
  await parent();
}
