/**
 * Classify many images where some may be bad: one result line per image, in input order, a
 * corrupt or unsupported image becoming an error line instead of failing its neighbours. Images
 * are embedded a slice at a time (the encoder's batch), and a slice that fails on an image is
 * embedded again one image at a time to find which; failures that are not about one image
 * (the model, the backend) are thrown, for the caller to retry.
 */
import type { CompiledClassifier } from '../classifier/compiled.js';
import type { ClassifyOptions, Descry } from '../descry.js';
import { type DescryError, ImageDecodeError, InvalidInputError } from '../errors.js';
import type { ImageBackground } from '../image/background.js';
import { stackRows } from '../math/matrix.js';
import type { RunOptions } from '../schedule.js';
import type { ImageInput, Matrix } from '../types.js';
import { errorLine, type ResultLine, resultLine } from './result-line.js';

/** The part of {@link Descry} batch classification uses. */
export type BatchEngine = Pick<Descry, 'embedImages' | 'classifyEmbeddings'>;

/** An image and the key its line carries (a path, an object key). */
export interface KeyedImage {
  key: string;
  image: ImageInput;
}

/** Options of {@link embedImagesSettled}. */
export interface SettledOptions extends RunOptions {
  /** Images per encoder run (default 4: ONNX Runtime's wasm heap grows to the largest batch). */
  batchSize?: number;
  /** What transparent pixels become (default: the engine's `background`). */
  background?: ImageBackground | undefined;
}

/** Options of {@link classifyBatch}: {@link ClassifyOptions} plus the encoder batch. */
export type ClassifyBatchOptions = ClassifyOptions & SettledOptions;

/** What {@link embedImagesSettled} embedded and what it could not. */
export interface SettledEmbeddings {
  /** One L2-normalised row per image that could be embedded, in input order. */
  embeddings: Matrix;
  /** Input index of each row of `embeddings`. */
  indices: number[];
  /** Input index → why that image has no row. */
  failures: Map<number, DescryError>;
}

/** An error that belongs to one image: its bytes or its form, not the model. */
function isImageError(error: unknown): error is DescryError {
  return error instanceof ImageDecodeError || error instanceof InvalidInputError;
}

/** Embed `images`, setting aside the ones that cannot be decoded; other failures are thrown. */
export async function embedImagesSettled(
  engine: Pick<Descry, 'embedImages'>,
  images: readonly ImageInput[],
  options: SettledOptions = {},
): Promise<SettledEmbeddings> {
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 4));
  const embedOptions = {
    imagesPerRun: batchSize,
    signal: options.signal,
    schedule: options.schedule,
    ...(options.background === undefined ? {} : { background: options.background }),
  };
  const parts: Matrix[] = [];
  const indices: number[] = [];
  const failures = new Map<number, DescryError>();
  const embedOne = async (index: number) => {
    try {
      parts.push(await engine.embedImages([images[index]!], embedOptions));
      indices.push(index);
    } catch (error) {
      if (!isImageError(error)) throw error;
      failures.set(index, error);
    }
  };
  for (let start = 0; start < images.length; start += batchSize) {
    options.signal?.throwIfAborted();
    const slice = images.slice(start, start + batchSize);
    try {
      parts.push(await engine.embedImages(slice, embedOptions));
      slice.forEach((_, i) => {
        indices.push(start + i);
      });
    } catch (error) {
      if (!isImageError(error)) throw error;
      // Rare: pay one encoder run per image of this slice only.
      for (let i = 0; i < slice.length; i++) await embedOne(start + i);
    }
  }
  return { embeddings: stackRows(parts), indices, failures };
}

/**
 * One {@link ResultLine} per item, in order: its predictions, or the error that kept this image
 * from being classified. Throws only for failures that are not about one image.
 */
export async function classifyBatch(
  engine: BatchEngine,
  items: readonly KeyedImage[],
  target: readonly string[] | CompiledClassifier,
  options: ClassifyBatchOptions = {},
): Promise<ResultLine[]> {
  const { batchSize, ...classify } = options;
  const settled = await embedImagesSettled(
    engine,
    items.map((item) => item.image),
    {
      ...(batchSize === undefined ? {} : { batchSize }),
      signal: options.signal,
      schedule: options.schedule,
      ...(options.background === undefined ? {} : { background: options.background }),
    },
  );
  const results =
    settled.indices.length > 0 ? await engine.classifyEmbeddings(settled.embeddings, target, classify) : [];
  const lines: ResultLine[] = new Array(items.length);
  settled.indices.forEach((index, row) => {
    lines[index] = resultLine(items[index]!.key, results[row]!);
  });
  for (const [index, error] of settled.failures) lines[index] = errorLine(items[index]!.key, error);
  return lines;
}
