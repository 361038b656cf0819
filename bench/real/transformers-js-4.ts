/**
 * transformers.js 4.x (@huggingface/transformers, the successor of @xenova/transformers 2.17) on the
 * same model folders, as its users write it, on onnxruntime-node (its default in Node) or on
 * onnxruntime-web's wasm backend (its default in browsers).
 *
 * - `pipeline`: its zero-shot-image-classification pipeline, which tokenises and encodes every label
 *   prompt on every call and loads `onnx/model.onnx` (CLIPModel, both towers in one graph). Only the
 *   ViT-B/32-shaped folder has that graph; MobileCLIP-S0's model card (Xenova/mobileclip_s0) uses
 *   the two encoders instead.
 * - `encoders`: what a user does to pay for the labels once, as that model card shows:
 *   CLIPTextModelWithProjection on the prompts ahead of time ("compile"), then per call
 *   RawImage.read + the processor + CLIPVisionModelWithProjection, L2-normalised embeddings,
 *   `matmul` against the label matrix, ×100, `softmax` per image, sorted. This is the contender that runs the
 *   same work as Descry with a compiled classifier.
 *
 * Web: transformers.js picks onnxruntime-web where it finds no Node; in Node, its documented hook
 * is `globalThis[Symbol.for('onnxruntime')]`, set here to its own onnxruntime-web (the version it
 * pins) before it is imported, with the `wasm` execution provider.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ImageName, images, paths } from './assets.js';
import { BATCHES, budgets, LABEL_COUNTS, labels, type Measurement, TEMPLATE, time } from './plan.js';

type Transformers = typeof import('@huggingface/transformers');

/**
 * The onnxruntime-web that @huggingface/transformers depends on (its own pinned version), with the
 * wasm build transformers.js picks in browsers (`.asyncify`, which it would fetch from a CDN) read
 * from that package's folder instead.
 */
export async function transformersOrtWeb(): Promise<unknown> {
  const require = createRequire(import.meta.url);
  const own = createRequire(require.resolve('@huggingface/transformers'));
  // Its Node build (the `node` condition: ort.node.min.js), as ES module.
  const dist = dirname(own.resolve('onnxruntime-web'));
  const ort = (await import(pathToFileURL(join(dist, 'ort.node.min.mjs')).href)) as {
    env: { wasm: { wasmPaths?: unknown } };
  };
  const file = (name: string) => pathToFileURL(join(dist, name)).href;
  ort.env.wasm.wasmPaths = {
    mjs: file('ort-wasm-simd-threaded.asyncify.mjs'),
    wasm: file('ort-wasm-simd-threaded.asyncify.wasm'),
  };
  return ort;
}

/** transformers.js 4.x for `backend`, reading models only from bench/.models. */
export async function loadTransformers4(backend: 'node' | 'web'): Promise<Transformers> {
  if (backend === 'web') {
    (globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = await transformersOrtWeb();
  }
  const transformers = await import('@huggingface/transformers');
  transformers.env.allowRemoteModels = false;
  transformers.env.localModelPath = `${join(paths.model, '..')}/`;
  // Its cache of the wasm files fetches them; here they are local files, which ORT reads itself.
  transformers.env.useWasmCache = false;
  return transformers;
}

/**
 * Model options for `backend`: fp32 (the unsuffixed files), and on web the `wasm` provider ('auto'
 * only because the ORT hook leaves transformers.js with no device list of its own).
 */
export function modelOptions(backend: 'node' | 'web') {
  return backend === 'node'
    ? ({ dtype: 'fp32', device: 'cpu' } as const)
    : ({ dtype: 'fp32', device: 'auto', session_options: { executionProviders: ['wasm'] } } as const);
}

/** Labels compiled the transformers.js way: L2-normalised text embeddings, one row per label. */
export interface LabelMatrix {
  labels: string[];
  /** [labels, dim], transposed to [dim, labels] for the matmul. */
  transposed: InstanceType<Transformers['Tensor']>;
}

/** The encoders path: compile labels once, classify image paths against them. */
export async function encodersClassifier(t: Transformers, id: string, backend: 'node' | 'web') {
  // MobileCLIP's text encoder takes exactly 77 tokens (its model card pads to max_length); CLIP's
  // takes any length, and the pipeline pads to the longest prompt.
  const padding = id.startsWith('mobileclip') ? 'max_length' : true;
  const options = modelOptions(backend);
  const [tokenizer, processor, text, vision] = await Promise.all([
    t.AutoTokenizer.from_pretrained(id),
    t.AutoProcessor.from_pretrained(id),
    t.CLIPTextModelWithProjection.from_pretrained(id, options as never),
    t.CLIPVisionModelWithProjection.from_pretrained(id, options as never),
  ]);
  const compile = async (names: string[]): Promise<LabelMatrix> => {
    const inputs = tokenizer(
      names.map((n) => TEMPLATE.replace('{}', n)),
      { padding, truncation: true },
    );
    const { text_embeds } = await text(inputs);
    return { labels: names, transposed: text_embeds.normalize(2, -1).transpose(1, 0) };
  };
  const classify = async (imagePaths: string[], matrix: LabelMatrix) => {
    const raw = await Promise.all(imagePaths.map((path) => t.RawImage.read(path)));
    const { pixel_values } = await processor(raw);
    const { image_embeds } = await vision({ pixel_values });
    const logits = (await t.matmul(image_embeds.normalize(2, -1), matrix.transposed)).mul(100);
    return (logits.tolist() as number[][]).map((row) =>
      (t.softmax(row) as number[])
        .map((score, i) => ({ label: matrix.labels[i]!, score }))
        .sort((a, b) => b.score - a.score),
    );
  };
  return { compile, classify, processor };
}

export async function transformersJs4(backend: 'node' | 'web'): Promise<Measurement[]> {
  const out: Measurement[] = [];
  const record = (metric: string, ms: number) =>
    out.push({ contender: 'transformers.js-4', backend, metric, ms });
  const t = await loadTransformers4(backend);
  const budget = budgets[backend];

  // The pipeline, ViT-B/32-shaped (the only folder with the combined graph).
  const classify = await t.pipeline(
    'zero-shot-image-classification',
    'clip-vit-base-patch32',
    modelOptions(backend) as never,
  );
  const formats = (backend === 'node' ? Object.entries(images) : [['jpeg', images.jpeg]]) as Array<
    [ImageName, string]
  >;
  for (const [name, path] of formats) {
    for (const count of LABEL_COUNTS) {
      if (count !== 100 && name !== 'jpeg') continue;
      const candidates = labels(count);
      for (const batch of BATCHES) {
        if (batch !== 1 && name !== 'jpeg') continue;
        const input = batch === 1 ? path : Array.from({ length: batch }, () => path);
        const quick = count === 100 && backend === 'node';
        const pipelineBudget = quick
          ? { warmup: 1, samples: batch === 1 ? 4 : 2, ms: 0, maxMs: 0 }
          : { ...budgets.slow, samples: 1 };
        record(
          `classify.${name}.b${batch}.l${count}`,
          await time(
            () => classify(input as never, candidates, { hypothesis_template: TEMPLATE }),
            pipelineBudget,
            batch,
          ),
        );
      }
    }
  }
  await classify.dispose();

  // The encoders, both models: labels compiled once, then images against them.
  for (const [prefix, id] of [
    ['', 'clip-vit-base-patch32'],
    ['edge.', 'mobileclip-s0'],
  ] as const) {
    const model = await encodersClassifier(t, id, backend);
    await model.compile(['warm-up label']);
    const matrices = new Map<number, LabelMatrix>();
    for (const count of LABEL_COUNTS) {
      const started = performance.now();
      matrices.set(count, await model.compile(labels(count)));
      record(`${prefix}compile.l${count}`, performance.now() - started);
    }
    for (const count of LABEL_COUNTS) {
      for (const batch of BATCHES) {
        const input = Array.from({ length: batch }, () => images.jpeg);
        record(
          `${prefix}classify-encoders.jpeg.b${batch}.l${count}`,
          await time(() => model.classify(input, matrices.get(count)!), budget, batch),
        );
      }
    }
    if (backend === 'node' && prefix === '') {
      for (const [name, path] of Object.entries(images) as Array<[ImageName, string]>) {
        record(
          `decode-preprocess.${name}`,
          await time(async () => model.processor(await t.RawImage.read(path)), budgets.node),
        );
      }
    }
  }
  return out;
}
