/** The injectable wasm source of the WebP decoder: every accepted shape, failure and recovery. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BackendError } from 'descry';
import { afterEach, describe, expect, it } from 'vitest';
import { configureWebpWasm, decodeWebp } from '../../sdk/image/webp.js';
import { expectDescryError, fromBase64 } from './expect-error.js';
import { LOSSLESS_RGBA, WEBP_LOSSLESS_8X6 } from './samples.js';

const wasmBytes = readFileSync(
  createRequire(import.meta.url).resolve('@jsquash/webp/codec/dec/webp_dec.wasm'),
);

async function decodesSample(): Promise<void> {
  const image = await decodeWebp(fromBase64(WEBP_LOSSLESS_8X6));
  expect(Array.from(image.data)).toEqual(LOSSLESS_RGBA);
}

afterEach(() => configureWebpWasm(undefined));

describe('configureWebpWasm', () => {
  it('works with the Node default (wasm read from node_modules)', async () => {
    await decodesSample();
  });

  it('accepts a compiled WebAssembly.Module, as workerd entry points pass', async () => {
    const module = await WebAssembly.compile(new Uint8Array(wasmBytes));
    let calls = 0;
    configureWebpWasm(async () => {
      calls++;
      return module;
    });
    await decodesSample();
    await decodesSample();
    expect(calls).toBe(1);
  });

  it('accepts the .wasm bytes as an ArrayBuffer or a Uint8Array', async () => {
    configureWebpWasm(async () => new Uint8Array(wasmBytes).buffer);
    await decodesSample();
    configureWebpWasm(async () => new Uint8Array(wasmBytes));
    await decodesSample();
  });

  it('a failing source gives backend_failed, and a later good source recovers', async () => {
    configureWebpWasm(async () => {
      throw new Error('no wasm here');
    });
    await expectDescryError(() => decodeWebp(fromBase64(WEBP_LOSSLESS_8X6)), BackendError, 'backend_failed');
    configureWebpWasm(async () => new Uint8Array(8));
    await expectDescryError(() => decodeWebp(fromBase64(WEBP_LOSSLESS_8X6)), BackendError, 'backend_failed');
    configureWebpWasm(undefined);
    await decodesSample();
  });

  it('a valid wasm module that is not the decoder: backend_failed', async () => {
    const empty = await WebAssembly.compile(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    configureWebpWasm(async () => empty);
    await expectDescryError(() => decodeWebp(fromBase64(WEBP_LOSSLESS_8X6)), BackendError, 'backend_failed');
  });
});
