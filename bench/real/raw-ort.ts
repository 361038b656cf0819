/**
 * The limit: onnxruntime's session.run on a ready tensor, no decoding, preprocessing or scoring.
 * Node uses the session options Descry gives onnxruntime-node; web those of its wasm backend.
 * Also: text encoding in input order with the options Descry used before (the compile baseline),
 * and the session-options experiment (spinning, threads; text and vision sessions back to back).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { ortNodeSessionOptions } from 'descry';
import { paths } from './assets.js';
import { type Budget, budgets, LABEL_COUNTS, labels, type Measurement, TEMPLATE, time } from './plan.js';

type Ort = typeof import('onnxruntime-node');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

const onnx = (name: string, model = paths.model) => join(model, 'onnx', name);
/** What Descry passed to onnxruntime-node before this change: ORT's defaults but the level. */
const previousNodeOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' };
const webOptions = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };

function pixels(ort: Ort, batch: number, size = 224) {
  const data = new Float32Array(batch * 3 * size * size);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37) * 1.5;
  return { pixel_values: new ort.Tensor('float32', data, [batch, 3, size, size]) };
}

/** Token ids of `texts`, as the pipeline and Descry make them. */
function tokenize(texts: readonly string[]): number[][] {
  const json = JSON.parse(readFileSync(join(paths.model, 'tokenizer.json'), 'utf8'));
  const config = JSON.parse(readFileSync(join(paths.model, 'tokenizer_config.json'), 'utf8'));
  const tokenizer = new Tokenizer(json, config);
  return texts.map((text) => tokenizer.encode(text).ids);
}

/** Encode `ids` in batches of 128, padded to each batch's longest row with the end token. */
async function encodeTexts(ort: Ort, session: Session, ids: number[][]): Promise<void> {
  for (let start = 0; start < ids.length; start += 128) {
    const rows = ids.slice(start, start + 128);
    const length = Math.max(...rows.map((r) => r.length));
    const data = new BigInt64Array(rows.length * length).fill(49407n);
    rows.forEach((row, r) => {
      row.forEach((id, i) => {
        data[r * length + i] = BigInt(id);
      });
    });
    await session.run({ input_ids: new ort.Tensor('int64', data, [rows.length, length]) });
  }
}

export async function rawOrt(backend: 'node' | 'web'): Promise<Measurement[]> {
  const out: Measurement[] = [];
  const record = (metric: string, ms: number) => out.push({ contender: 'raw', backend, metric, ms });
  const ort: Ort =
    backend === 'node'
      ? await import('onnxruntime-node')
      : ((await import('onnxruntime-web')) as unknown as Ort);
  const budget: Budget = budgets[backend];
  const create = (file: string, options: Record<string, unknown>, model = paths.model) =>
    backend === 'node'
      ? ort.InferenceSession.create(onnx(file, model), options)
      : ort.InferenceSession.create(readFileSync(onnx(file, model)), options);
  const options = backend === 'node' ? ortNodeSessionOptions() : webOptions;

  const vision = await create('vision_model.onnx', options);
  for (const batch of [1, 8]) {
    const feeds = pixels(ort, batch);
    record(`vision.b${batch}`, await time(() => vision.run(feeds), budget, batch));
  }

  // Compile baseline: prompts in input order with the previous options, then sorted by length.
  for (const count of LABEL_COUNTS) {
    const ids = tokenize(labels(count).map((l) => TEMPLATE.replace('{}', l)));
    const sorted = [...ids].sort((a, b) => a.length - b.length);
    const previous = await create('text_model.onnx', backend === 'node' ? previousNodeOptions : webOptions);
    await encodeTexts(ort, previous, ids.slice(0, 8));
    record(
      `text.input-order.previous-options.l${count}`,
      await time(() => encodeTexts(ort, previous, ids), budgets.slow),
    );
    await previous.release();
    const current = await create('text_model.onnx', options);
    await encodeTexts(ort, current, ids.slice(0, 8));
    record(`text.sorted.l${count}`, await time(() => encodeTexts(ort, current, sorted), budgets.slow));
    await current.release();
  }
  await vision.release();

  const edge = await create('vision_model.onnx', options, paths.edgeModel);
  for (const batch of [1, 8]) {
    const feeds = pixels(ort, batch, 256);
    record(`edge.vision.b${batch}`, await time(() => edge.run(feeds), budget, batch));
  }
  await edge.release();

  if (backend === 'node') {
    // Two sessions back to back, as when plain labels are classified: a text run, then a vision run.
    const prompts = tokenize(labels(8).map((l) => TEMPLATE.replace('{}', l)));
    for (const spinning of [true, false]) {
      for (const threads of [undefined, 1] as const) {
        const opts = ortNodeSessionOptions({ spinning, ...(threads ? { threads } : {}) });
        const name = `spin-${spinning ? 'on' : 'off'}.threads-${threads ?? 'default'}`;
        const v = await create('vision_model.onnx', opts);
        const t = await create('text_model.onnx', opts);
        const feeds = pixels(ort, 1);
        record(`options.${name}.vision-alone`, await time(() => v.run(feeds), budget));
        let visionMs = 0;
        const samples: number[] = [];
        for (let i = 0; i < budget.samples + budget.warmup; i++) {
          await encodeTexts(ort, t, prompts);
          const started = performance.now();
          await v.run(feeds);
          visionMs = performance.now() - started;
          if (i >= budget.warmup) samples.push(visionMs);
        }
        samples.sort((a, b) => a - b);
        record(`options.${name}.vision-after-text`, samples[Math.floor(samples.length / 2)]!);
        await v.release();
        await t.release();
      }
    }
  }
  return out;
}
