/**
 * JPEG decoding to 8-bit RGBA with the pixels Pillow produces. Greyscale and YCbCr/RGB JPEGs
 * (baseline and progressive) go to TurboJPEG (@cwasm/jpeg-turbo, ./jpeg-scaled.ts) where the runtime
 * has its wasm (Node, workerd), at full or reduced DCT scale, and otherwise, or when libjpeg warns,
 * to @jsquash/jpeg: MozJPEG's libjpeg-turbo compiled to wasm. Both have the same IDCT and "fancy"
 * chroma upsampling as the libjpeg behind Pillow, so pixels match exactly; TurboJPEG writes into
 * the caller's buffer (DecodeOptions.output) and is the lighter wrapper.
 * Four-component (CMYK/YCCK) JPEGs, which that build cannot convert, go to TurboJPEG too, and to
 * jpeg-js where it is missing (./jpeg-cmyk.ts). The wasm loads lazily, per runtime, as
 * ./wasm-codec.ts describes.
 */
import decodeMozjpeg, { init as initMozjpeg } from '@jsquash/jpeg/decode.js';
import { decodeCmykJpeg, pillowCmykToRgba } from './jpeg-cmyk.js';
import { decodeJpegScaled, decodeScale, hasTurboJpeg } from './jpeg-scaled.js';
import { readJpegStructure } from './jpeg-structure.js';
import { assertPixelBudget, corruptImage, type DecodeOptions, outputBuffer } from './limits.js';
import type { DecodedImage } from './rgba.js';
import { type WasmSource, wasmCodec } from './wasm-codec.js';

/** Supplies the MozJPEG decoder: a compiled module (required on workerd) or the .wasm bytes. */
export type JpegWasmSource = WasmSource;

/** A 1x1 grey baseline JPEG: decoding it proves the instance works (init() itself never fails). */
const PROBE = new Uint8Array([
  255, 216, 255, 219, 0, 67, 0, 16, 11, 12, 14, 12, 10, 16, 14, 13, 14, 18, 17, 16, 19, 24, 40, 26, 24, 22,
  22, 24, 49, 35, 37, 29, 40, 58, 51, 61, 60, 57, 51, 56, 55, 64, 72, 92, 78, 64, 68, 87, 69, 55, 56, 80, 109,
  81, 87, 95, 98, 103, 104, 103, 62, 77, 113, 121, 112, 100, 120, 92, 101, 103, 99, 255, 192, 0, 11, 8, 0, 1,
  0, 1, 1, 1, 17, 0, 255, 196, 0, 20, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 196, 0, 20,
  16, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 218, 0, 8, 1, 1, 0, 0, 63, 0, 63, 255, 217,
]);

const codec = wasmCodec({
  format: 'JPEG',
  configureName: 'configureJpegWasm',
  wasmPath: '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm',
  // @jsquash's typings only declare init(options); at runtime init(module, options) skips its own loader.
  init: initMozjpeg as unknown as (module: WebAssembly.Module | undefined, options: object) => Promise<void>,
  probe: () => decodeMozjpeg(PROBE.slice().buffer),
});

/**
 * Chooses where the JPEG decoder's wasm comes from. Call it before the first JPEG decode (a later
 * call re-instantiates on the next decode). Pass `undefined` to restore the per-runtime default.
 */
export function configureJpegWasm(source: JpegWasmSource | undefined): void {
  codec.configure(source);
}

/**
 * Most scans accepted in one JPEG. Progressive files have about ten; thousands of tiny scans make
 * libjpeg redo its work per scan, a known way to burn CPU (libjpeg-turbo's own tools cap it at 500).
 */
export const MAX_JPEG_SCANS = 500;

/**
 * libjpeg warnings after which it has filled the rest of a scan with grey instead of image data:
 * a header larger than its data, or data cut or garbled mid-scan. Pillow shows such files; Descry
 * refuses them rather than classify a grey rectangle. (libjpeg prints only its first warning, so a
 * benign one first, such as stray bytes before a marker, hides these; the scan-size check in
 * ./jpeg-structure.ts still catches a header much larger than its data.)
 */
const MISSING_DATA = ['premature end of data segment', 'bad Huffman code', 'instead of RST'];

/** Finds the frame size in the marker segments, without decoding any scan data. */
export function readJpegSize(bytes: Uint8Array): { width: number; height: number } {
  const { width, height } = readJpegStructure(bytes);
  return { width, height };
}

/**
 * Decodes JPEG bytes to 8-bit RGBA after checking the declared size against the pixel budget: at a
 * reduced DCT scale when `options.minSize` allows it (./jpeg-scaled.ts), else at full size.
 *
 * @throws ImageDecodeError 'image_too_large' or 'image_corrupt' (also for a truncated file, or one
 *   with more than {@link MAX_JPEG_SCANS} scans).
 * @throws BackendError 'backend_failed' when the decoder's wasm cannot be loaded.
 */
export async function decodeJpeg(bytes: Uint8Array, options?: DecodeOptions): Promise<DecodedImage> {
  const frame = readJpegStructure(bytes);
  const { width, height, components, scans, complete, scanBytes, minScanBytes } = frame;
  const scale = decodeScale(frame, options?.minSize);
  assertPixelBudget('JPEG', width, height, options, scale);
  if (!complete) throw corruptImage('JPEG', new Error('the data ends before the end-of-image marker'));
  if (scans > MAX_JPEG_SCANS) {
    throw corruptImage('JPEG', new Error(`${scans} scans; at most ${MAX_JPEG_SCANS} are accepted`));
  }
  if (scanBytes < minScanBytes) {
    throw corruptImage(
      'JPEG',
      new Error(
        `the header declares ${width}x${height}, which needs at least ${minScanBytes} bytes of image data; there are ${scanBytes}`,
      ),
    );
  }
  if (components === 4) {
    // TurboJPEG decodes CMYK as Pillow does. A file libjpeg warns about is refused rather than
    // decoded again with jpeg-js, which costs about 8 times the memory (./decoder-cost.ts) and
    // refused such files anyway (tolerantDecoding: false). Runtimes without TurboJPEG use jpeg-js.
    const cmyk = await decodeJpegScaled(bytes, 1, options?.output, pillowCmykToRgba);
    if (cmyk !== undefined) return cmyk;
    if (await hasTurboJpeg()) {
      throw corruptImage('JPEG', new Error('libjpeg reported damaged or unsupported CMYK data'));
    }
    return decodeCmykJpeg(bytes, options);
  }
  // TurboJPEG where the runtime has it (Node, workerd), at full size too: its pixels are MozJPEG's
  // (same libjpeg-turbo IDCT and upsampling; tests/image/fixtures.test.ts), and it writes into the
  // caller's buffer. On any libjpeg warning it gives up and MozJPEG applies the policy below.
  const viaTurbo = await decodeJpegScaled(bytes, scale, options?.output);
  if (viaTurbo !== undefined)
    return scale > 1 ? { ...viaTurbo, reducedFrom: { width, height, scale } } : viaTurbo;
  // The full decode the fallback makes must fit the budget too.
  if (scale > 1) assertPixelBudget('JPEG', width, height, options);
  const { image: decoded, missing } = await codec.run(async (messages) => {
    try {
      const image = await decodeMozjpeg(new Uint8Array(bytes).buffer);
      // Refused below, outside run(): after a warning the instance is still sound, keep it.
      return { image, missing: messages.find((line) => MISSING_DATA.some((w) => line.includes(w))) };
    } catch (error) {
      // libjpeg prints why it gave up (e.g. "Bogus Huffman table definition") before exiting.
      throw corruptImage(
        'JPEG',
        messages.length > 0 ? new Error(messages.join('; '), { cause: error }) : error,
      );
    }
  });
  if (missing !== undefined) throw corruptImage('JPEG', new Error(missing));
  if (decoded.width !== width || decoded.height !== height || decoded.data.length !== width * height * 4) {
    throw corruptImage('JPEG', new Error('decoder returned a wrong-sized image'));
  }
  if (options?.output === undefined) return { width, height, data: decoded.data };
  const data = outputBuffer(options, decoded.data.length);
  data.set(decoded.data);
  return { width, height, data };
}
