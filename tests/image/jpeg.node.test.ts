/** The injectable wasm source of the JPEG decoder: every accepted shape, failure and recovery. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BackendError, ImageDecodeError } from 'descry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configureJpegWasm, decodeJpeg } from '../../sdk/image/jpeg.js';
import { configureJpegScaledWasm } from '../../sdk/image/jpeg-scaled.js';
import { expectDescryError, fromBase64 } from './expect-error.js';
import { JPEG_8X6, JPEG_8X6_PILLOW_RGB, JPEG_CMYK_8X8 } from './samples.js';

const wasmBytes = readFileSync(
  createRequire(import.meta.url).resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'),
);

async function decodesSample(): Promise<void> {
  const image = await decodeJpeg(fromBase64(JPEG_8X6));
  expect(Array.from(image.data).filter((_, i) => i % 4 !== 3)).toEqual(JPEG_8X6_PILLOW_RGB);
}

afterEach(() => {
  configureJpegWasm(undefined);
  configureJpegScaledWasm(undefined);
});

describe('configureJpegWasm', () => {
  // These are about MozJPEG (the decoder every runtime has): TurboJPEG, which Node tries first,
  // is turned off for them.
  beforeEach(() => configureJpegScaledWasm(null));

  it('works with the Node default (wasm read from node_modules)', async () => {
    await decodesSample();
  });

  it('accepts a compiled WebAssembly.Module, read once however many decodes and failures follow', async () => {
    const module = await WebAssembly.compile(new Uint8Array(wasmBytes));
    let calls = 0;
    configureJpegWasm(async () => {
      calls++;
      return module;
    });
    await decodesSample();
    const broken = fromBase64(JPEG_8X6).slice();
    const dht = broken.findIndex((byte, i) => byte === 0xff && broken[i + 1] === 0xc4);
    broken.fill(0xff, dht + 5, dht + 21);
    await expectDescryError(() => decodeJpeg(broken), ImageDecodeError, 'image_corrupt');
    await decodesSample();
    expect(calls).toBe(1);
  });

  it('accepts the .wasm bytes as an ArrayBuffer or a Uint8Array', async () => {
    configureJpegWasm(async () => new Uint8Array(wasmBytes).buffer);
    await decodesSample();
    configureJpegWasm(async () => new Uint8Array(wasmBytes));
    await decodesSample();
  });

  it('a failing source gives backend_failed, and a later good source recovers', async () => {
    configureJpegWasm(async () => {
      throw new Error('no wasm here');
    });
    await expectDescryError(() => decodeJpeg(fromBase64(JPEG_8X6)), BackendError, 'backend_failed');
    configureJpegWasm(async () => new Uint8Array(8));
    await expectDescryError(() => decodeJpeg(fromBase64(JPEG_8X6)), BackendError, 'backend_failed');
    configureJpegWasm(undefined);
    await decodesSample();
  });

  it('a valid wasm module that is not the decoder: backend_failed', async () => {
    const empty = await WebAssembly.compile(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    configureJpegWasm(async () => empty);
    await expectDescryError(() => decodeJpeg(fromBase64(JPEG_8X6)), BackendError, 'backend_failed');
  });

  it('CMYK JPEGs need no wasm: they decode with jpeg-js even when the wasm cannot load', async () => {
    configureJpegWasm(async () => {
      throw new Error('no wasm here');
    });
    await expect(decodeJpeg(fromBase64(JPEG_CMYK_8X8))).resolves.toMatchObject({ width: 8, height: 8 });
  });
});

describe('a JPEG whose header lies about its size', () => {
  const photo = readFileSync(new URL('../fixtures/preprocess/photo_444_160x120.jpg', import.meta.url));
  const relabelled = (width: number, height: number) => {
    const jpeg = Uint8Array.from(photo);
    const sof = jpeg.findIndex((byte, i) => byte === 0xff && jpeg[i + 1] === 0xc0);
    jpeg.set([height >> 8, height & 255, width >> 8, width & 255], sof + 5);
    return jpeg;
  };

  it('decodes the honest 160x120 file', async () => {
    const image = await decodeJpeg(relabelled(160, 120));
    expect([image.width, image.height]).toEqual([160, 120]);
  });

  it('refuses 160x120 data declared as 4000x4000 as image_corrupt, in about no time', async () => {
    const started = performance.now();
    await expectDescryError(() => decodeJpeg(relabelled(4000, 4000)), ImageDecodeError, 'image_corrupt');
    // The scan-size check answers before libjpeg would decode (and allocate) 16 megapixels.
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses 160x120 data declared as 320x240 (enough bytes to pass the size check) as image_corrupt', async () => {
    const error = await expectDescryError(
      () => decodeJpeg(relabelled(320, 240)),
      ImageDecodeError,
      'image_corrupt',
    );
    expect(error.message).toMatch(/premature end of data segment/);
  });
});
