/**
 * Image preprocessing exactly as transformers' CLIPImageProcessor / SiglipImageProcessor (the
 * PIL-based "slow" processors) do it: RGB conversion, resize, centre crop, rescale, normalise, CHW.
 * The RGB conversion is theirs with background 'drop'; the default composites onto white first, as
 * their newer processors' convert_to_rgb does (./background.ts). Pure math on pixels: no I/O.
 */
import { InvalidInputError } from '../errors.js';
import { type Backdrop, type ImageBackground, resolveBackground } from './background.js';
import { cropOrigin } from './crop.js';
import { writeChw } from './kernels.js';
import type { PreprocessorConfig } from './preprocessor-config.js';
import { resamplePlan } from './resize.js';
import { assertRgbaImage, type DecodedImage, rgbaSource } from './rgba.js';

export { type PreprocessorConfig, parsePreprocessorConfig } from './preprocessor-config.js';

/** Options for {@link preprocess} and {@link preprocessBatch}. */
export interface PreprocessOptions {
  /** What transparent pixels become (default 'white'); 'drop' is CLIPImageProcessor's behaviour. */
  background?: ImageBackground;
}

/** A batch of preprocessed images: `data` is [N, 3, height, width] float32, row-major. */
export interface PixelBatch {
  data: Float32Array;
  dims: [number, number, number, number];
}

/**
 * The size transformers resizes to. For shortest_edge it is get_resize_output_image_size: the short
 * side becomes the edge and the long side `int(edge * long / short)` (float division, truncated).
 */
export function resizedSize(
  width: number,
  height: number,
  config: PreprocessorConfig,
): { width: number; height: number } {
  const target = config.resize;
  if (target === undefined) return { width, height };
  if (target.mode === 'exact') return { width: target.width, height: target.height };
  const edge = target.shortestEdge;
  if (width <= height) return { width: edge, height: Math.trunc((edge * height) / width) };
  return { width: Math.trunc((edge * width) / height), height: edge };
}

/**
 * The smallest decode that serves `config`: twice the size it resizes to on each side (a short side
 * of 448 px for CLIP at 224), or undefined when it does not resize. Decoders may reduce large
 * JPEGs down to it (DecodeOptions.minSize), at a small deviation from the full decode.
 */
export function minimumDecodeSize(config: PreprocessorConfig): { width: number; height: number } | undefined {
  const target = config.resize;
  if (target === undefined) return undefined;
  if (target.mode === 'exact') return { width: 2 * target.width, height: 2 * target.height };
  return { width: 2 * target.shortestEdge, height: 2 * target.shortestEdge };
}

/** The height and width of the tensor {@link preprocess} returns for a `width × height` image. */
export function preprocessedSize(
  width: number,
  height: number,
  config: PreprocessorConfig,
): { width: number; height: number } {
  return config.crop ?? resizedSize(width, height, config);
}

/**
 * Value of each 0..255 level per channel (three tables of 256, one after the other), in float32 arithmetic as numpy does it:
 * `float32(float64(v) * factor)`, then `(x - mean) / std` with float32 mean and std.
 */
function levelTables(config: PreprocessorConfig): Float32Array {
  const f32 = Math.fround;
  const tables = new Float32Array(3 * 256);
  for (let channel = 0; channel < 3; channel++) {
    const table = tables.subarray(channel * 256, channel * 256 + 256);
    for (let level = 0; level < 256; level++) {
      let value = config.rescaleFactor === undefined ? level : f32(level * config.rescaleFactor);
      if (config.normalize !== undefined) {
        const mean = f32(config.normalize.mean[channel] ?? 0);
        const std = f32(config.normalize.std[channel] ?? 1);
        value = f32(f32(value - mean) / std);
      }
      table[level] = value;
    }
  }
  return tables;
}

/**
 * RGB conversion, resize, centre crop, rescale and normalisation in one go, into `out` at `offset`:
 * only the crop window of the resized image is computed (./resize.ts plans it, ./kernels.ts runs
 * it), and padding, when the crop is larger than the image, is level 0. Returns the tensor's size.
 */
function writePixels(
  image: DecodedImage,
  config: PreprocessorConfig,
  backdrop: Backdrop,
  tables: Float32Array,
  out: Float32Array | ((length: number, width: number, height: number) => Float32Array),
  offset: number,
): { width: number; height: number } {
  assertRgbaImage(image);
  // A JPEG decoded at a reduced DCT scale resizes as its full-size decode would: to the size the
  // full image resizes to, from the box the full image covers in the reduced one (Pillow's
  // `resize(size, box=(0, 0, W / s, H / s))`). Without that, rounding the reduced size up
  // (ceil(W / s)) shifts and stretches the crop: on a 1600x900 JPEG at 1/8 (200x113), the
  // embedded model's cosine with the full decode fell to 0.990 (tests/image/reference.test.ts).
  const from = image.reducedFrom;
  const size = resizedSize(from?.width ?? image.width, from?.height ?? image.height, config);
  const box = from && { width: from.width / from.scale, height: from.height / from.scale };
  const crop = config.crop ?? size;
  const { top, left } = cropOrigin(size.width, size.height, crop.width, crop.height);
  // The part of the crop that lies on the image; the rest is padding.
  const x0 = Math.max(0, left);
  const y0 = Math.max(0, top);
  const window = {
    left: x0,
    top: y0,
    width: Math.min(size.width, left + crop.width) - x0,
    height: Math.min(size.height, top + crop.height) - y0,
  };
  const target = typeof out === 'function' ? out(3 * crop.width * crop.height, crop.width, crop.height) : out;
  const plan = resamplePlan(image.width, image.height, size.width, size.height, config.resample, window, box);
  writeChw(
    rgbaSource(image, backdrop),
    plan,
    { left: x0 - left, top: y0 - top, width: crop.width, height: crop.height },
    tables,
    target,
    offset,
  );
  return crop;
}

/**
 * Preprocesses one image into a CHW float32 tensor of length 3 × H × W, where H × W is
 * {@link preprocessedSize}.
 *
 * @throws InvalidInputError 'invalid_input' when the RGBA buffer does not match its dimensions or
 *   the background is not an {@link ImageBackground}.
 */
export function preprocess(
  image: DecodedImage,
  config: PreprocessorConfig,
  options: PreprocessOptions = {},
): Float32Array {
  let out = new Float32Array(0);
  writePixels(
    image,
    config,
    resolveBackground(options.background),
    levelTables(config),
    (length) => {
      out = new Float32Array(length);
      return out;
    },
    0,
  );
  return out;
}

/**
 * Preprocesses images into one [N, 3, H, W] buffer, ready to be an ONNX input tensor.
 *
 * @throws InvalidInputError 'invalid_input' for an empty batch, a bad RGBA buffer, or images that
 *   come out at different sizes (shortest_edge resize without a centre crop), or a background that
 *   is not an {@link ImageBackground}.
 */
export function preprocessBatch(
  images: readonly DecodedImage[],
  config: PreprocessorConfig,
  options: PreprocessOptions = {},
): PixelBatch {
  const batch = new PixelBatchWriter(images.length, config, options, (length) => new Float32Array(length));
  for (const image of images) batch.add(image);
  return batch.finish();
}

/**
 * {@link preprocessBatch} one image at a time, so that a caller decoding the images need not hold
 * them all (Descry.embedImages decodes, adds and drops each in turn). The tensor comes from
 * `allocate(length)` when the first image fixes its size; it may be a reused buffer, since every
 * element is written. Internal.
 */
export class PixelBatchWriter {
  readonly #count: number;
  readonly #config: PreprocessorConfig;
  readonly #allocate: (length: number) => Float32Array;
  readonly #backdrop: Backdrop;
  readonly #tables: Float32Array;
  #data: Float32Array | undefined;
  #dims: PixelBatch['dims'];
  #added = 0;

  constructor(
    count: number,
    config: PreprocessorConfig,
    options: PreprocessOptions,
    allocate: (length: number) => Float32Array,
  ) {
    if (count === 0) throw new InvalidInputError('invalid_input', 'Cannot preprocess an empty batch.');
    this.#count = count;
    this.#config = config;
    this.#allocate = allocate;
    this.#backdrop = resolveBackground(options.background);
    this.#tables = levelTables(config);
    this.#dims = [count, 3, 0, 0];
  }

  /** Preprocesses the next image into its place in the batch. */
  add(image: DecodedImage): void {
    const index = this.#added;
    if (index >= this.#count) throw new RangeError(`the batch holds ${this.#count} images`);
    writePixels(
      image,
      this.#config,
      this.#backdrop,
      this.#tables,
      (length, width, height) => {
        if (this.#data === undefined) {
          this.#dims = [this.#count, 3, height, width];
          this.#data = this.#allocate(this.#count * length);
        } else if (height !== this.#dims[2] || width !== this.#dims[3]) {
          throw new InvalidInputError(
            'invalid_input',
            `Image ${index} preprocesses to ${width}x${height}, image 0 to ${this.#dims[3]}x${this.#dims[2]}; ` +
              'a batch needs one size (configure a centre crop or an exact resize).',
            { details: { index } },
          );
        }
        return this.#data;
      },
      index * 3 * this.#dims[2] * this.#dims[3],
    );
    this.#added++;
  }

  /** The tensor, once every image has been added. */
  finish(): PixelBatch {
    if (this.#data === undefined || this.#added !== this.#count) {
      throw new RangeError(`${this.#added} of ${this.#count} images were added`);
    }
    return { data: this.#data, dims: this.#dims };
  }
}
