/**
 * WebP decoding with @jsquash/webp (libwebp compiled to wasm), normalised to 8-bit RGBA. The wasm
 * loads lazily, per runtime, as ./wasm-codec.ts describes.
 */
import decodeWebpWasm, { init as initWebpWasm } from '@jsquash/webp/decode.js';
import { ImageDecodeError } from '../errors.js';
import type { RgbaImage } from '../types.js';
import { assertPixelBudget, corruptImage, type DecodeOptions, outputBuffer } from './limits.js';
import { type WasmSource, wasmCodec } from './wasm-codec.js';

/** Supplies the libwebp decoder: a compiled module (required on workerd) or the .wasm bytes. */
export type WebpWasmSource = WasmSource;

/** A 1x1 lossless WebP: decoding it proves the instance works (init() itself never fails). */
const PROBE = new Uint8Array([
  82, 73, 70, 70, 32, 0, 0, 0, 87, 69, 66, 80, 86, 80, 56, 76, 20, 0, 0, 0, 47, 0, 0, 0, 0, 7, 80, 129, 84, 8,
  32, 0, 10, 154, 254, 199, 136, 136, 254, 7,
]);

const codec = wasmCodec({
  format: 'WebP',
  configureName: 'configureWebpWasm',
  wasmPath: '@jsquash/webp/codec/dec/webp_dec.wasm',
  // @jsquash's typings only declare init(options); at runtime init(module, options) skips its own loader.
  init: initWebpWasm as unknown as (module: WebAssembly.Module | undefined, options: object) => Promise<void>,
  probe: () => decodeWebpWasm(PROBE.slice().buffer),
});

/**
 * Chooses where the WebP decoder's wasm comes from. Call it before the first WebP decode (a later
 * call re-instantiates on the next decode). Pass `undefined` to restore the per-runtime default.
 */
export function configureWebpWasm(source: WebpWasmSource | undefined): void {
  codec.configure(source);
}

/** Reads the canvas size from the first chunk (VP8, VP8L or VP8X) and flags animations. */
export function readWebpHeader(bytes: Uint8Array): { width: number; height: number; animated: boolean } {
  if (bytes.length < 30) throw corruptImage('WebP', new Error('truncated header'));
  const chunk = String.fromCharCode(...bytes.subarray(12, 16));
  const byte = (index: number) => bytes[index] ?? 0;
  if (chunk === 'VP8 ') {
    if (byte(23) !== 0x9d || byte(24) !== 0x01 || byte(25) !== 0x2a) {
      throw corruptImage('WebP', new Error('bad VP8 start code'));
    }
    return {
      width: (byte(26) | (byte(27) << 8)) & 0x3fff,
      height: (byte(28) | (byte(29) << 8)) & 0x3fff,
      animated: false,
    };
  }
  if (chunk === 'VP8L') {
    if (byte(20) !== 0x2f) throw corruptImage('WebP', new Error('bad VP8L signature'));
    const bits = byte(21) | (byte(22) << 8) | (byte(23) << 16) | (byte(24) << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, animated: false };
  }
  if (chunk === 'VP8X') {
    return {
      width: (byte(24) | (byte(25) << 8) | (byte(26) << 16)) + 1,
      height: (byte(27) | (byte(28) << 8) | (byte(29) << 16)) + 1,
      animated: (byte(20) & 0x02) !== 0,
    };
  }
  throw corruptImage('WebP', new Error(`unknown first chunk '${chunk}'`));
}

/**
 * The canvas size of a still WebP and whether its header flags alpha (VP8X: flag bit 4; VP8L: the
 * alpha_is_used bit after the 14-bit width and height; plain VP8 has none).
 *
 * @throws ImageDecodeError 'image_unsupported_format' for an animated WebP, 'image_corrupt' for
 *   an unreadable header.
 */
export function readStillWebpHeader(bytes: Uint8Array): { width: number; height: number; hasAlpha: boolean } {
  const { width, height, animated } = readWebpHeader(bytes);
  if (animated) {
    throw new ImageDecodeError(
      'image_unsupported_format',
      'Animated WebP is not supported; send a still image.',
      {
        details: { format: 'webp', animated: true },
      },
    );
  }
  const chunk = String.fromCharCode(...bytes.subarray(12, 16));
  const flags = chunk === 'VP8X' ? (bytes[20] ?? 0) : chunk === 'VP8L' ? (bytes[24] ?? 0) : 0;
  return { width, height, hasAlpha: (flags & 0x10) !== 0 };
}

/** Decodes WebP bytes (lossy, lossless, with or without alpha) to 8-bit RGBA. */
export async function decodeWebp(bytes: Uint8Array, options?: DecodeOptions): Promise<RgbaImage> {
  const { width, height } = readStillWebpHeader(bytes);
  assertPixelBudget('WebP', width, height, options);
  const decoded = await codec.run(async () => {
    try {
      return await decodeWebpWasm(new Uint8Array(bytes).buffer);
    } catch (error) {
      throw corruptImage('WebP', error);
    }
  });
  if (decoded.data.length !== decoded.width * decoded.height * 4) {
    throw corruptImage('WebP', new Error('decoder returned a wrong-sized buffer'));
  }
  if (options?.output === undefined)
    return { width: decoded.width, height: decoded.height, data: decoded.data };
  const data = outputBuffer(options, decoded.data.length);
  data.set(decoded.data);
  return { width: decoded.width, height: decoded.height, data };
}
