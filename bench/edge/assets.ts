/**
 * What the edge benches run on: the photo-scale benchmark models (bench/models: MobileCLIP-S0- and
 * ViT-B/32-shaped, random weights) with their vision-encoder variants, the embedded model, and the
 * benchmark photos. Generated on demand into ignored folders (`npm run bench:models`), checked here
 * so that a bench fails with the command to run rather than a missing-file error.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('../..', import.meta.url).pathname;

/** A vision-encoder variant: its file in the transformers.js layout and what it is. */
export interface Variant {
  /** The dtype Descry loads it with (`visionDtype`). */
  dtype: 'fp32' | 'fp16' | 'quantized' | 'int8' | 'int8w';
  file: string;
  what: string;
}

export const VARIANTS: readonly Variant[] = [
  { dtype: 'fp32', file: 'onnx/vision_model.onnx', what: 'float32' },
  { dtype: 'fp16', file: 'onnx/vision_model_fp16.onnx', what: 'float16 weights and compute, float32 I/O' },
  { dtype: 'quantized', file: 'onnx/vision_model_quantized.onnx', what: 'q8: int8 MatMuls only (hub style)' },
  { dtype: 'int8', file: 'onnx/vision_model_int8.onnx', what: 'dynamic int8 Conv + MatMul (ConvInteger)' },
  { dtype: 'int8w', file: 'onnx/vision_model_int8w.onnx', what: 'int8 weights (QDQ), float compute' },
];

/** A model the edge benches measure. */
export interface EdgeModel {
  name: string;
  folder: string;
  /** Its variants that exist (the embedded model has only fp32). */
  variants: readonly Variant[];
}

const python = '/usr/bin/python3';

function run(script: string, args: string[] = []): void {
  if (!existsSync(python)) {
    throw new Error(
      `${script} needs ${python} with Debian's python3-torch, python3-onnx, python3-numpy, python3-pil`,
    );
  }
  console.error(`generating: ${python} ${script} ${args.join(' ')}`);
  execFileSync(python, [join(root, script), ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
}

export const paths = {
  mobileclip: join(root, 'bench', '.models', 'mobileclip-s0'),
  vit: join(root, 'bench', '.models', 'clip-vit-base-patch32'),
  embedded: join(root, 'models', 'emoji-clip'),
  images: join(root, 'bench', '.images'),
};

/** The photos: the three of bench:real, then the 32 of variety/. */
export function benchImages(): string[] {
  const variety = join(paths.images, 'variety');
  const main = ['photo-640x480.jpg', 'photo-1000x1000.png', 'photo-640x480.webp'].map((f) =>
    join(paths.images, f),
  );
  const more = existsSync(variety)
    ? readdirSync(variety)
        .filter((f) => f.endsWith('.jpg'))
        .sort()
        .map((f) => join(variety, f))
    : [];
  return [...main, ...more];
}

/**
 * The models, their variants generated when missing (make_edge_variants.py is quick; the models
 * themselves take minutes and are made by `npm run bench:models`).
 */
export function edgeModels(
  which: readonly string[] = ['emoji-clip', 'mobileclip-s0', 'clip-vit-base-patch32'],
): EdgeModel[] {
  const models: EdgeModel[] = [];
  for (const name of which) {
    if (name === 'emoji-clip') {
      models.push({ name, folder: paths.embedded, variants: VARIANTS.filter((v) => v.dtype === 'fp32') });
      continue;
    }
    const folder =
      name === 'mobileclip-s0' ? paths.mobileclip : name === 'clip-vit-base-patch32' ? paths.vit : undefined;
    if (!folder) throw new Error(`unknown model ${name}`);
    if (!existsSync(join(folder, 'onnx', 'vision_model.onnx'))) {
      throw new Error(`${folder} is missing: run npm run bench:models first`);
    }
    const stale = ['int8', 'int8w'].some((v) => {
      const file = join(folder, 'onnx', `vision_model_${v}.onnx`);
      return (
        !existsSync(file) ||
        statSync(file).mtimeMs < statSync(join(folder, 'onnx', 'vision_model.onnx')).mtimeMs
      );
    });
    if (stale) run('bench/models/make_edge_variants.py', [folder]);
    models.push({ name, folder, variants: VARIANTS.filter((v) => existsSync(join(folder, v.file))) });
  }
  if (!existsSync(join(paths.images, 'variety'))) run('bench/models/make_bench_images.py');
  return models;
}
