/**
 * transformers.js (@xenova/transformers 2.17, with its own onnxruntime-node 1.14) on the same model
 * folder: its zero-shot-image-classification pipeline, which encodes every label prompt on every
 * call and reads images from paths (sharp), and its decode + preprocess alone.
 */
import { type ImageName, images, paths } from './assets.js';
import { BATCHES, budgets, LABEL_COUNTS, labels, type Measurement, TEMPLATE, time } from './plan.js';

export async function transformersJs(): Promise<Measurement[]> {
  const out: Measurement[] = [];
  const record = (metric: string, ms: number) =>
    out.push({ contender: 'transformers.js', backend: 'node', metric, ms });
  const { AutoProcessor, env, pipeline, RawImage } = await import('@xenova/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = `${paths.model}/..`;
  const id = 'clip-vit-base-patch32';
  const classify = await pipeline('zero-shot-image-classification', id, { quantized: false });
  const run = (image: string | string[], candidates: string[]) =>
    classify(image, candidates, { hypothesis_template: TEMPLATE });

  for (const [name, path] of Object.entries(images) as Array<[ImageName, string]>) {
    for (const count of LABEL_COUNTS) {
      if (count !== 100 && name !== 'jpeg') continue;
      const candidates = labels(count);
      for (const batch of BATCHES) {
        if (batch !== 1 && name !== 'jpeg') continue;
        const input = batch === 1 ? path : Array.from({ length: batch }, () => path);
        const budget =
          count === 100
            ? { warmup: 1, samples: batch === 1 ? 4 : 2, ms: 0, maxMs: 0 }
            : { ...budgets.slow, samples: 1 };
        record(
          `classify.${name}.b${batch}.l${count}`,
          await time(() => run(input, candidates), budget, batch),
        );
      }
    }
  }

  const processor = await AutoProcessor.from_pretrained(id);
  for (const [name, path] of Object.entries(images) as Array<[ImageName, string]>) {
    record(
      `decode-preprocess.${name}`,
      await time(async () => processor(await RawImage.read(path)), budgets.node),
    );
  }
  return out;
}
