/**
 * Vitest global setup (runs in Node, for the node and workerd projects): the reference embeddings
 * of tests/image/reference.test.ts. onnxruntime-node runs the embedded model's vision_model.onnx
 * on the tensors Pillow made (tests/fixtures/reference, models/fixtures/make_reference_fixtures.py)
 * and provides the raw `image_embeds` rows, so the test compares, in each runtime, Descry's whole
 * path (decode, preprocess, its own ONNX backend) with an independent one that shares only the
 * model file. Computed here rather than committed, so they always follow the committed model.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { TestProject } from 'vitest/node';

/** What tests/fixtures/reference/manifest.json lists per image (see its generator). */
export interface ReferenceImage {
  file: string;
  note: string;
  mode: string;
  width: number;
  height: number;
  background: 'white';
  /** The Pillow tensor (CHW float32, little-endian) of the full-size decode. */
  tensor: string;
  shape: [number, number, number];
  /** A JPEG large enough that Descry's default decodes it at a reduced DCT scale. */
  scaledDecode?: boolean;
}

/** Raw `image_embeds` of vision_model.onnx (onnxruntime-node) on each Pillow tensor, by tensor file. */
export type ReferenceEmbeddings = Record<string, number[]>;

declare module 'vitest' {
  export interface ProvidedContext {
    referenceEmbeddings: ReferenceEmbeddings;
  }
}

export default async function provideReferenceEmbeddings(project: TestProject): Promise<void> {
  const root = project.config.root;
  const folder = join(root, 'tests', 'fixtures', 'reference');
  const manifest = JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf8')) as {
    images: ReferenceImage[];
  };
  if (manifest.images.length === 0) throw new Error(`${folder}/manifest.json lists no images`);
  const session = await ort.InferenceSession.create(
    join(root, 'models', 'emoji-clip', 'onnx', 'vision_model.onnx'),
  );
  const embeddings: ReferenceEmbeddings = {};
  try {
    // One image per run: nothing about one image's result depends on another's.
    for (const image of manifest.images) {
      const bytes = await readFile(join(folder, image.tensor));
      const pixels = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      if (pixels.length !== image.shape.reduce((a, b) => a * b, 1)) {
        throw new Error(`${image.tensor} holds ${pixels.length} values, not ${image.shape.join('x')}`);
      }
      const output = await session.run({
        pixel_values: new ort.Tensor('float32', pixels.slice(), [1, ...image.shape]),
      });
      const embeds = output.image_embeds;
      if (embeds === undefined) throw new Error('vision_model.onnx has no image_embeds output');
      embeddings[image.tensor] = Array.from(embeds.data as Float32Array);
    }
  } finally {
    await session.release();
  }
  project.provide('referenceEmbeddings', embeddings);
}
