/**
 * The image pipeline: bytes or URLs in, model-ready float32 tensors out.
 *
 * - {@link toRgba} turns any accepted input (Blob, ArrayBuffer, Uint8Array, http(s)/data: URL,
 *   RGBA pixels) into 8-bit RGBA, decoding PNG, JPEG and WebP without DOM, canvas or native addons
 *   (PNG data inflates with Node's zlib in Node, else with fflate);
 * - {@link parsePreprocessorConfig} reads a Hugging Face `preprocessor_config.json`;
 * - {@link preprocess} / {@link preprocessBatch} reproduce transformers' CLIPImageProcessor and
 *   SiglipImageProcessor (Pillow-exact resizing) and return CHW / NCHW float32.
 *
 * Every failure is a typed DescryError (sdk/errors.ts): 'image_empty', 'image_unsupported_format',
 * 'image_corrupt', 'image_too_large', 'image_fetch_failed', 'invalid_input' or 'model_config_invalid'.
 *
 * On workerd, import `descry` as well: its entry point hands the decoders and Descry's SIMD image
 * kernels (resize, colour conversion, PNG unfiltering) their precompiled wasm, which workerd cannot
 * compile from bytes. Node and browsers compile the kernels' few KB themselves. In Node this
 * subpath's own entry (./node.ts) installs what decoding takes from Node.
 *
 * @module
 */
/** What transparent pixels become: composited onto a colour (default white) or dropped. */
export { DEFAULT_BACKGROUND, type ImageBackground } from './background.js';
/** Decodes PNG, JPEG or WebP bytes to RGBA, after sniffing the format and checking the pixel budget. */
export { decodeImage } from './decode.js';
/** Magic-byte format detection. */
export { type ImageFormat, type RefusedImageFormat, type SniffedFormat, sniffFormat } from './format.js';
/** Any accepted input to RGBA pixels. */
export { DEFAULT_MAX_BYTES, type ToRgbaOptions, toRgba } from './input.js';
/** Where the JPEG decoder's wasm comes from (required on workerd). */
export { configureJpegWasm, type JpegWasmSource } from './jpeg.js';
/** Where the reduced-scale JPEG decoder's wasm comes from (workerd; browsers without it decode at full size). */
export { configureJpegScaledWasm, type JpegScaledWasmSource } from './jpeg-scaled.js';
/** Pixel budget shared by all decoders. */
export { DEFAULT_MAX_PIXELS, type DecodeOptions } from './limits.js';
/** transformers-compatible preprocessing. */
export {
  minimumDecodeSize,
  type PixelBatch,
  type PreprocessOptions,
  preprocess,
  preprocessBatch,
  preprocessedSize,
  resizedSize,
} from './preprocess.js';
/** `preprocessor_config.json` parsing and the OpenAI CLIP normalisation constants. */
export {
  CLIP_MEAN,
  CLIP_STD,
  type PreprocessorConfig,
  parsePreprocessorConfig,
} from './preprocessor-config.js';
/** Format, declared size and transparency from the headers alone, to bound work before decoding. */
export { type ImageProbe, type ProbeOptions, probeImage } from './probe.js';
/** Pillow-exact resizing of 8-bit rasters. */
export { type Raster, Resample, type ResampleFilter, resize } from './resize.js';
/** Decoded pixels; a JPEG decoded at a reduced DCT scale carries its full size. */
export type { DecodedImage } from './rgba.js';
/** Where the WebP decoder's wasm comes from (required on workerd). */
export { configureWebpWasm, type WebpWasmSource } from './webp.js';
