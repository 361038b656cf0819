/**
 * The kernels' two committed build outputs agree: the .wasm workerd imports and the base64 that
 * Node and browsers compile (both written by scripts/build-image-wasm.sh from kernels.c).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KERNELS_WASM_BASE64 } from '../../sdk/image/wasm/kernels-wasm.js';

describe('image kernels build outputs', () => {
  it('kernels-wasm.ts holds the bytes of kernels.wasm, small enough for a synchronous compile', () => {
    const wasm = readFileSync(new URL('../../sdk/image/wasm/kernels.wasm', import.meta.url));
    expect(Buffer.from(KERNELS_WASM_BASE64, 'base64').equals(wasm)).toBe(true);
    // Chromium refuses synchronous compiles of more than 4 KB on a page's main thread.
    expect(wasm.length).toBeLessThanOrEqual(4096);
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(wasm)).map((e) => e.name);
    expect(exports).toEqual(
      expect.arrayContaining(['memory', '__heap_base', 'resample_h', 'resample_v', 'write_chw']),
    );
  });
});
