/**
 * JPEG decoding at a reduced DCT scale (1/2, 1/4 or 1/8): libjpeg computes a smaller image straight
 * from the DCT coefficients, at a fraction of the time and memory of a full decode followed by a
 * resize. This is what Pillow's `Image.draft()` does, and the pixels are Pillow-with-draft's to the
 * bit (libjpeg-turbo's scaled IDCT, through TurboJPEG's tjDecompress2, from @cwasm/jpeg-turbo:
 * @jsquash/jpeg's MozJPEG build exposes no scaling).
 *
 * When it applies ({@link jpegScale}): only when the model's input is small next to the image, and
 * then only as far as keeps the decoded image at least twice the size the model resizes to (CLIP at
 * 224 px: a short side of at least 448 px), so a 12-megapixel 4032x3024 photo decodes at 1/4 to
 * 1008x756; a 640x480 photo is not reduced. The decode says so (`reducedFrom`, ./rgba.ts), and
 * preprocessing resizes it as the full decode would be resized: to the same size, from the box the
 * full image covers (ceil(W / s) rounds the reduced size up, which otherwise stretches and shifts
 * the crop). The tensor still deviates from CLIPImageProcessor's, which resizes the full decode
 * with Pillow's bicubic: on the fixtures (tests/fixtures/preprocess, manifest
 * `deviationFromFullDecode`) by 0.8 to 2.6 levels of 255 on average and up to 5 to 9 levels at
 * one-pixel stripes, the worst case; on photo-like JPEGs the embedded model's embedding keeps a
 * cosine of at least 0.9998 with the full decode's (tests/image/reference.test.ts). It is opt-out:
 * `jpegDctScaling: false` on Descry.load decodes every JPEG at full size, as CLIPImageProcessor does.
 *
 * The wasm is a plain module (no emscripten runtime): it imports setjmp/longjmp, which libjpeg
 * uses for errors; longjmp throws here, after which the instance is discarded. TurboJPEG also
 * reports libjpeg's warnings (data missing or garbled) as a failure. Either way the caller falls
 * back to the full decode, which applies the policy for damaged files (./jpeg.ts), so a damaged
 * file gets the same answer with or without scaling.
 */
import { BackendError } from '../errors.js';
import type { RgbaImage } from '../types.js';
import { outputBuffer } from './limits.js';
import { packageFileSource } from './wasm-files.js';

/** Supplies the TurboJPEG wasm: a compiled module (required on workerd) or the .wasm bytes. */
export type JpegScaledWasmSource = () => Promise<WebAssembly.Module | ArrayBuffer | Uint8Array>;

interface TurboJpeg {
  memory: WebAssembly.Memory;
  malloc(size: number): number;
  free(pointer: number): void;
  tjInitDecompress(): number;
  tjDestroy(handle: number): number;
  tjDecompressHeader3(
    handle: number,
    source: number,
    size: number,
    width: number,
    height: number,
    subsampling: number,
    colourspace: number,
  ): number;
  tjDecompress2(
    handle: number,
    source: number,
    size: number,
    destination: number,
    width: number,
    pitch: number,
    height: number,
    pixelFormat: number,
    flags: number,
  ): number;
}

const TJPF_RGBA = 7;
/** Four-component output, as libjpeg gives it (Adobe's inverted CMYK; YCCK converted to it). */
const TJPF_CMYK = 11;
const WASM_PATH = '@cwasm/jpeg-turbo/jpeg-turbo.wasm';
let source: JpegScaledWasmSource | null | undefined;
let compiled: Promise<WebAssembly.Module | undefined> | undefined;

/**
 * Chooses where the TurboJPEG wasm comes from (workerd passes the imported module); `null` turns
 * it off, so every JPEG decodes with MozJPEG at full size. Without it (`undefined`), Node reads it
 * from node_modules (the reader its entry point installs, ./wasm-files.ts) and other runtimes
 * decode JPEGs with MozJPEG at full size.
 */
export function configureJpegScaledWasm(supplied: JpegScaledWasmSource | null | undefined): void {
  source = supplied;
  compiled = undefined;
  instance = undefined;
}

async function compile(): Promise<WebAssembly.Module | undefined> {
  const supplier = source === null ? undefined : (source ?? packageFileSource(WASM_PATH));
  if (supplier === undefined) return undefined;
  const supplied = await supplier();
  if (supplied instanceof WebAssembly.Module) return supplied;
  return WebAssembly.compile(supplied instanceof Uint8Array ? new Uint8Array(supplied) : supplied);
}

class LongJump extends Error {}

function instantiate(module: WebAssembly.Module): TurboJpeg {
  const unsupported = () => {
    throw new LongJump('unsupported system call');
  };
  const imports = {
    env: {
      setjmp: () => 0,
      longjmp: () => {
        throw new LongJump('libjpeg error');
      },
    },
    wasi_snapshot_preview1: {
      proc_exit: unsupported,
      environ_sizes_get: () => 0,
      environ_get: unsupported,
      fd_close: unsupported,
      fd_seek: unsupported,
      fd_write: unsupported,
    },
  };
  return new WebAssembly.Instance(module, imports).exports as unknown as TurboJpeg;
}

/** Whether this runtime decodes JPEGs with TurboJPEG (its wasm is configured or found). */
export async function hasTurboJpeg(): Promise<boolean> {
  compiled ??= compile().catch((cause: unknown) => {
    compiled = undefined;
    throw new BackendError('backend_failed', 'The scaled JPEG decoder (wasm) failed to load.', { cause });
  });
  return (await compiled) !== undefined;
}

/** One instance, reused until a decode fails (a longjmp leaves libjpeg's state behind). */
let instance: TurboJpeg | undefined;

/**
 * The DCT scale denominator (1, 2, 4 or 8) for a `width × height` JPEG whose decode only needs to
 * be at least `minWidth × minHeight`: the largest that keeps both sides there, as libjpeg rounds
 * (ceil(side / scale)).
 */
export function jpegScale(width: number, height: number, minWidth: number, minHeight: number): number {
  for (const scale of [8, 4, 2]) {
    if (Math.ceil(width / scale) >= minWidth && Math.ceil(height / scale) >= minHeight) return scale;
  }
  return 1;
}

/**
 * The scale {@link decodeJpeg} decodes a JPEG at: reduced only when the caller gave a `minSize`
 * and the frame is not CMYK (jpeg-js decodes those, at full size). The pixel budget counts the
 * pixels of this decode, so a phone photo decoded at 1/4 costs a sixteenth of its header's size.
 */
export function decodeScale(
  frame: { width: number; height: number; components: number },
  minSize: { width: number; height: number } | undefined,
): number {
  if (minSize === undefined || frame.components === 4) return 1;
  return jpegScale(frame.width, frame.height, minSize.width, minSize.height);
}

/**
 * Decodes a JPEG at 1/`scale` of its size (1 included) to RGBA, or returns undefined when this
 * runtime has no TurboJPEG wasm or libjpeg reported any error or warning (the caller then decodes
 * with MozJPEG, at full size). A four-component (CMYK/YCCK) JPEG needs `cmykToRgba`: libjpeg's
 * CMYK pixels are converted with it in place.
 *
 * @throws BackendError 'backend_failed' when a configured wasm source fails to load.
 */
export async function decodeJpegScaled(
  bytes: Uint8Array,
  scale: number,
  /** Where to put the RGBA (DecodeOptions.output); default a new buffer. */
  target?: (length: number) => Uint8Array,
  /** For CMYK/YCCK JPEGs: turns libjpeg's CMYK pixels into RGBA, in place. */
  cmykToRgba?: (pixels: Uint8Array) => void,
): Promise<RgbaImage | undefined> {
  if (!(await hasTurboJpeg())) return undefined;
  const module = (await compiled)!;
  instance ??= instantiate(module);
  const tj = instance;
  let input = 0;
  let output = 0;
  let header = 0;
  let handle = 0;
  try {
    input = tj.malloc(bytes.length);
    header = tj.malloc(16);
    handle = tj.tjInitDecompress();
    if (input === 0 || header === 0 || handle === 0) return undefined;
    new Uint8Array(tj.memory.buffer, input, bytes.length).set(bytes);
    new Uint32Array(tj.memory.buffer, header, 4).fill(0);
    const headerStatus = tj.tjDecompressHeader3(
      handle,
      input,
      bytes.length,
      header,
      header + 4,
      header + 8,
      header + 12,
    );
    const [fullWidth = 0, fullHeight = 0] = new Uint32Array(tj.memory.buffer, header, 2);
    // A header libjpeg read (a damaged one longjmps) whose sampling factors TurboJPEG cannot name,
    // such as CMYK with only C at 2x2 (ImageMagick's and Pillow's `subsampling`), still decodes:
    // tjDecompress2 does not need the name. Other formats take MozJPEG's path instead.
    const unnamedSampling = cmykToRgba !== undefined && fullWidth > 0 && fullHeight > 0;
    if (headerStatus !== 0 && !unnamedSampling) return undefined;
    const width = Math.ceil(fullWidth / scale);
    const height = Math.ceil(fullHeight / scale);
    output = tj.malloc(width * height * 4);
    if (output === 0) return undefined;
    // TurboJPEG picks the largest scale whose size fits in width x height: exactly 1/scale.
    const status = tj.tjDecompress2(
      handle,
      input,
      bytes.length,
      output,
      width,
      width * 4,
      height,
      cmykToRgba === undefined ? TJPF_RGBA : TJPF_CMYK,
      0,
    );
    if (status !== 0) return undefined; // an error, or a warning: data missing or garbled
    const data = outputBuffer({ output: target }, width * height * 4);
    data.set(new Uint8Array(tj.memory.buffer, output, width * height * 4));
    cmykToRgba?.(data);
    return { width, height, data };
  } catch (error) {
    if (!(error instanceof LongJump) && !(error instanceof WebAssembly.RuntimeError)) throw error;
    instance = undefined;
    return undefined;
  } finally {
    if (instance === tj) {
      if (handle !== 0) tj.tjDestroy(handle);
      for (const pointer of [input, output, header]) if (pointer !== 0) tj.free(pointer);
    }
  }
}
