/**
 * Descry on the ViT-B/32-shaped model: compiling labels, classifying encoded images with a compiled
 * classifier (and with plain labels, cached), and what Descry costs around the model (decode and
 * preprocess), measured with a backend whose session answers at once.
 */
import { readFileSync } from 'node:fs';
import { Descry, type OnnxBackend, ortNodeBackend, ortWebBackend } from 'descry';
import { type ImageName, images, paths } from './assets.js';
import {
  BATCHES,
  type Budget,
  budgets,
  LABEL_COUNTS,
  labels,
  type Measurement,
  TEMPLATE,
  time,
} from './plan.js';

/** A backend whose sessions return zero embeddings immediately: Descry's own cost, without the model. */
function instantBackend(dim: number): OnnxBackend {
  return {
    name: 'instant',
    async createSession() {
      return {
        inputNames: ['pixel_values'],
        outputNames: ['image_embeds'],
        async run(feeds) {
          const n = feeds.pixel_values!.dims[0]!;
          return {
            image_embeds: { type: 'float32', data: new Float32Array(n * dim).fill(1), dims: [n, dim] },
          };
        },
        async release() {},
      };
    },
  };
}

export async function descry(backendName: 'node' | 'web'): Promise<Measurement[]> {
  const out: Measurement[] = [];
  const record = (metric: string, ms: number) =>
    out.push({ contender: 'descry', backend: backendName, metric, ms });
  const backend: OnnxBackend =
    backendName === 'node' ? ((await ortNodeBackend()) as OnnxBackend) : ortWebBackend();
  const budget: Budget = budgets[backendName];
  const bytes = Object.fromEntries(
    Object.entries(images).map(([name, path]) => [name, new Uint8Array(readFileSync(path))]),
  ) as Record<ImageName, Uint8Array>;

  // Compiling: a fresh model per label count (so no prompt is cached), its text session loaded first.
  const classifiers = new Map<number, Awaited<ReturnType<Descry['compile']>>>();
  for (const count of [...LABEL_COUNTS].reverse()) {
    const model = await Descry.load(paths.model, { backend });
    await model.compile({ labels: ['warm-up label'], templates: [TEMPLATE] });
    const started = performance.now();
    classifiers.set(count, await model.compile({ labels: labels(count), templates: [TEMPLATE] }));
    record(`compile.l${count}`, performance.now() - started);
  }

  const model = await Descry.load(paths.model, { backend });
  for (const [name, image] of Object.entries(bytes) as Array<[ImageName, Uint8Array]>) {
    for (const count of LABEL_COUNTS) {
      if (count !== 100 && name !== 'jpeg') continue;
      for (const batch of BATCHES) {
        const input = Array.from({ length: batch }, () => image);
        const classifier = classifiers.get(count)!;
        record(
          `classify.${name}.b${batch}.l${count}`,
          await time(() => model.classify(input, classifier), budget, batch),
        );
      }
    }
  }
  // Plain labels: compiled on the first call, then answered from the prompt cache.
  const plain = labels(100);
  record(
    'classify-labels.jpeg.b1.l100',
    await time(() => model.classify(bytes.jpeg, plain, { templates: [TEMPLATE] }), budget),
  );

  // Concurrency: 8 clients, one JPEG per request, as a server sees them; batching off, then on.
  for (const batching of [undefined, { windowMs: 2, maxImages: 8 }]) {
    const server = await Descry.load(paths.model, { backend, ...(batching ? { batching } : {}) });
    const classifier = classifiers.get(100)!;
    const perClient = backendName === 'node' ? 6 : 2;
    const request = async () => {
      const started = performance.now();
      await server.classify(bytes.jpeg, classifier);
      return performance.now() - started;
    };
    await Promise.all(Array.from({ length: 8 }, request)); // warm-up: loads the session, sizes the arena
    const started = performance.now();
    const latencies = (
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          const own: number[] = [];
          for (let i = 0; i < perClient; i++) own.push(await request());
          return own;
        }),
      )
    ).flat();
    const name = batching ? 'batched' : 'unbatched';
    record(`concurrency.${name}.per-image`, (performance.now() - started) / latencies.length);
    latencies.sort((a, b) => a - b);
    record(`concurrency.${name}.latency-p50`, latencies[Math.floor(latencies.length / 2)]!);
  }

  // The edge model (MobileCLIP-S0's architecture), JPEG: compiling, then 100 and 1000 labels.
  const edge = await Descry.load(paths.edgeModel, { backend });
  await edge.compile({ labels: ['warm-up label'], templates: [TEMPLATE] });
  for (const count of LABEL_COUNTS) {
    const started = performance.now();
    const edgeClassifier = await edge.compile({ labels: labels(count), templates: [TEMPLATE] });
    record(`edge.compile.l${count}`, performance.now() - started);
    for (const batch of BATCHES) {
      const input = Array.from({ length: batch }, () => bytes.jpeg);
      record(
        `edge.classify.jpeg.b${batch}.l${count}`,
        await time(() => edge.classify(input, edgeClassifier), budget, batch),
      );
    }
  }

  const around = await Descry.load(paths.model, { backend: instantBackend(512) });
  for (const [name, image] of Object.entries(bytes) as Array<[ImageName, Uint8Array]>) {
    record(`decode-preprocess.${name}`, await time(() => around.embedImages([image]), budgets.node));
  }
  return out;
}
