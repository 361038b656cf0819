// The runtime's entry point: on workerd it hands the JPEG decoder its precompiled wasm.
import 'descry';
import type { ImageInput } from 'descry';
import { ImageDecodeError, InvalidInputError } from 'descry';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { toRgba } from '../../sdk/image/input.js';
import { expectDescryError, fromBase64 } from './expect-error.js';
import { JPEG_8X6 } from './samples.js';

const width = 3;
const height = 2;
const pixels = Uint8Array.from({ length: width * height * 4 }, (_, i) => (i * 37 + 11) % 256);
const png = encode({ width, height, data: pixels, channels: 4 });

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

async function expectPixels(input: ImageInput): Promise<void> {
  const image = await toRgba(input);
  expect([image.width, image.height]).toEqual([width, height]);
  expect(Array.from(image.data)).toEqual(Array.from(pixels));
}

describe('toRgba accepts every input kind', () => {
  it('Uint8Array, including a view into a larger buffer', async () => {
    await expectPixels(png);
    const padded = new Uint8Array(png.length + 20);
    padded.set(png, 7);
    await expectPixels(padded.subarray(7, 7 + png.length));
  });

  it('ArrayBuffer and other ArrayBuffer views', async () => {
    await expectPixels(png.slice().buffer);
    await expectPixels(new DataView(png.slice().buffer) as unknown as Uint8Array);
  });

  it('Blob', async () => {
    await expectPixels(new Blob([png.slice()], { type: 'image/png' }));
  });

  it('base64 data: URLs, as strings and as URL objects', async () => {
    await expectPixels(`data:image/png;base64,${toBase64(png)}`);
    await expectPixels(new URL(`data:image/png;base64,${toBase64(png)}`));
    await expectPixels(`  DATA:;BASE64,${toBase64(png).replace(/(.{10})/g, '$1\n')}`);
  });

  it('percent-encoded data: URLs', async () => {
    const encoded = Array.from(png, (byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
    await expectPixels(`data:image/png,${encoded}`);
  });

  it('decoded RGBA pixels, passed through after validation', async () => {
    const rgba = { width, height, data: pixels };
    expect(await toRgba(rgba)).toBe(rgba);
    const clamped = { width, height, data: new Uint8ClampedArray(pixels) };
    expect(await toRgba(clamped)).toBe(clamped);
  });

  it('JPEG bytes as a data: URL', async () => {
    const image = await toRgba(`data:image/jpeg;base64,${JPEG_8X6}`);
    expect([image.width, image.height]).toEqual([8, 6]);
    expect(image.data.length).toBe(8 * 6 * 4);
    expect(fromBase64(JPEG_8X6).length).toBeGreaterThan(0);
  });
});

describe('toRgba refuses bad input with typed errors', () => {
  it('RGBA data of the wrong length, type or dimensions: invalid_input', async () => {
    for (const bad of [
      { width, height, data: new Uint8Array(width * height * 4 - 1) },
      { width, height, data: new Uint8Array(width * height * 3) },
      { width: 0, height: 0, data: new Uint8Array(0) },
      { width: 1.5, height: 2, data: new Uint8Array(12) },
      { width: 1, height: 1, data: [1, 2, 3, 4] as unknown as Uint8Array },
    ]) {
      await expectDescryError(() => toRgba(bad), InvalidInputError, 'invalid_input');
    }
  });

  it('strings that are not http(s) or data: URLs: invalid_input', async () => {
    for (const bad of [
      'not a url',
      'ftp://example.com/a.png',
      'file:///etc/passwd',
      '',
      'data:image/png;base64',
    ]) {
      await expectDescryError(() => toRgba(bad), InvalidInputError, 'invalid_input');
    }
  });

  it('a data: URL with invalid base64: invalid_input', async () => {
    await expectDescryError(() => toRgba('data:image/png;base64,!!!!'), InvalidInputError, 'invalid_input');
  });

  it('values of the wrong type: invalid_input', async () => {
    for (const bad of [null, undefined, 42, {}, { width: 1 }]) {
      await expectDescryError(() => toRgba(bad as unknown as ImageInput), InvalidInputError, 'invalid_input');
    }
  });

  it('empty bytes, an empty Blob and an empty data: URL: image_empty', async () => {
    for (const empty of [new Uint8Array(0), new ArrayBuffer(0), new Blob([]), 'data:image/png;base64,']) {
      await expectDescryError(() => toRgba(empty), ImageDecodeError, 'image_empty');
    }
  });

  it('maxPixels is passed to the decoder', async () => {
    await expectDescryError(
      () => toRgba(png, { maxPixels: width * height - 1 }),
      ImageDecodeError,
      'image_too_large',
    );
  });
});
