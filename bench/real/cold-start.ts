/**
 * Cold start: a fresh process from its first instruction to its first classification, and its peak
 * resident memory. Bundled by bench/real/main.ts with esbuild (packages stay external), as a user
 * runs a built package, and run once per process:
 *
 *   node bench/.build/cold-start.mjs <mode> <model folder> <image> <classifier> [session options JSON]
 *
 * Modes: raw-node (onnxruntime-node session from the file, run on a ready tensor), descry-node
 * (compiled classifier), descry-node-bytes (the same, model read into memory first: Descry before
 * it passed paths), descry-node-labels (plain labels: text model and tokenizer too), descry-web
 * (onnxruntime-web), transformers.js (@xenova/transformers 2.17's pipeline, 100 labels),
 * transformers.js-4 and transformers.js-4-web (@huggingface/transformers 4.x on onnxruntime-node or
 * -web: its pipeline, 100 labels, where the folder has the combined model.onnx; else its two
 * encoders, the 100 labels encoded first). Mode write-classifier compiles the 100 labels into
 * <classifier> first (not timed).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { TEMPLATE } from './plan.js';

const [mode, modelDir, imagePath, classifierPath, optionsJson] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string | undefined,
];

async function firstResult(): Promise<string> {
  if (mode === 'raw-node') {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(
      `${modelDir}/onnx/vision_model.onnx`,
      JSON.parse(optionsJson ?? '{}'),
    );
    const config = JSON.parse(readFileSync(`${modelDir}/config.json`, 'utf8'));
    const size: number = config.vision_config?.image_size ?? 224;
    const pixels = new ort.Tensor('float32', new Float32Array(3 * size * size), [1, 3, size, size]);
    const output = await session.run({ pixel_values: pixels });
    return `${output.image_embeds?.dims}`;
  }
  if (mode === 'transformers.js') {
    const { env, pipeline } = await import('@xenova/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = `${modelDir}/..`;
    const classify = await pipeline('zero-shot-image-classification', 'clip-vit-base-patch32', {
      quantized: false,
    });
    const { labels } = await import('./plan.js');
    const result = (await classify(imagePath, labels(100), { hypothesis_template: TEMPLATE })) as Array<{
      label: string;
    }>;
    return result[0]!.label;
  }
  if (mode === 'transformers.js-4' || mode === 'transformers.js-4-web') {
    const backend = mode === 'transformers.js-4' ? 'node' : 'web';
    const { encodersClassifier, loadTransformers4, modelOptions } = await import('./transformers-js-4.js');
    const { labels } = await import('./plan.js');
    const t = await loadTransformers4(backend);
    const id = basename(modelDir);
    if (existsSync(`${modelDir}/onnx/model.onnx`)) {
      const classify = await t.pipeline('zero-shot-image-classification', id, modelOptions(backend) as never);
      const result = (await classify(imagePath, labels(100), { hypothesis_template: TEMPLATE })) as Array<{
        label: string;
      }>;
      return result[0]!.label;
    }
    const model = await encodersClassifier(t, id, backend);
    const [result] = await model.classify([imagePath], await model.compile(labels(100)));
    return result![0]!.label;
  }
  const { Descry, folderSource, ortWebBackend } = await import('descry');
  if (mode === 'write-classifier') {
    const { labels } = await import('./plan.js');
    const descry = await Descry.load(modelDir);
    const classifier = await descry.compile({ labels: labels(100), templates: [TEMPLATE] });
    await writeFile(classifierPath, classifier.toBytes());
    return classifierPath;
  }
  const folder = folderSource(modelDir);
  const source = mode === 'descry-node-bytes' ? { id: folder.id, read: folder.read } : modelDir;
  const descry = await Descry.load(source, mode === 'descry-web' ? { backend: ortWebBackend() } : {});
  const image = new Uint8Array(await readFile(imagePath));
  if (mode === 'descry-node-labels') {
    const { labels } = await import('./plan.js');
    const [result] = await descry.classify(image, labels(100), { templates: [TEMPLATE], topK: 1 });
    return result!.predictions[0]!.label;
  }
  const classifier = descry.loadClassifier(new Uint8Array(await readFile(classifierPath)));
  const [result] = await descry.classify(image, classifier, { topK: 1 });
  return result!.predictions[0]!.label;
}

const top = await firstResult();
const firstResultMs = performance.now();
console.log(JSON.stringify({ mode, firstResultMs, peakRssMiB: process.resourceUsage().maxRSS / 1024, top }));
process.exit(0);
