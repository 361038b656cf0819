// The runtime's entry point: on workerd it hands the JPEG decoder its precompiled wasm.
import 'descry';
import { ImageDecodeError } from 'descry';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../sdk/image/decode.js';
import { sniffFormat } from '../../sdk/image/format.js';
import { expectDescryError, fromBase64 } from './expect-error.js';
import {
  BMP_8X6,
  GIF_8X6,
  JPEG_8X6,
  JPEG_8X6_PILLOW_RGB,
  JPEG_CMYK_8X8,
  JPEG_CMYK_8X8_PILLOW_ROW,
  JPEG_GREY_8X6,
  JPEG_PROGRESSIVE_420_8X6,
  JPEG_PROGRESSIVE_420_8X6_PILLOW_RGB,
  TIFF_8X6,
  WEBP_LOSSY_8X6,
} from './samples.js';

/** A deterministic pseudo-random byte sequence (LCG), so images have no accidental structure. */
function noise(length: number, seed: number, max = 256): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = (state >>> 16) % max;
  }
  return out;
}

/** CRC-32 (PNG), to forge headers that pass fast-png's checks. */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngWithSize(width: number, height: number): Uint8Array {
  const png = encode({ width: 2, height: 2, data: noise(16, 3), channels: 4 });
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  view.setUint32(16, width);
  view.setUint32(20, height);
  view.setUint32(29, crc32(png.subarray(12, 29)));
  return png;
}

async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes.slice()]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** An 8-bit RGBA PNG of the given size whose only IDAT chunk is `idat`, with valid CRCs. */
function pngWithIdat(width: number, height: number, idat: Uint8Array): Uint8Array {
  const ihdr = pngWithSize(width, height).subarray(0, 8 + 25);
  const chunk = new Uint8Array(12 + idat.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, idat.length);
  chunk.set(new TextEncoder().encode('IDAT'), 4);
  chunk.set(idat, 8);
  view.setUint32(8 + idat.length, crc32(chunk.subarray(4, 8 + idat.length)));
  const iend = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
  return new Uint8Array([...ihdr, ...chunk, ...iend]);
}

describe('format sniffing', () => {
  it('recognises PNG, JPEG and WebP from their bytes', () => {
    expect(sniffFormat(encode({ width: 1, height: 1, data: new Uint8Array(4), channels: 4 }))).toEqual({
      kind: 'supported',
      format: 'png',
    });
    expect(sniffFormat(fromBase64(JPEG_8X6))).toEqual({ kind: 'supported', format: 'jpeg' });
    expect(sniffFormat(fromBase64(WEBP_LOSSY_8X6))).toEqual({ kind: 'supported', format: 'webp' });
  });

  it('names GIF, BMP and TIFF so that they can be refused', () => {
    expect(sniffFormat(fromBase64(GIF_8X6))).toEqual({ kind: 'refused', format: 'gif' });
    expect(sniffFormat(fromBase64(BMP_8X6))).toEqual({ kind: 'refused', format: 'bmp' });
    expect(sniffFormat(fromBase64(TIFF_8X6))).toEqual({ kind: 'refused', format: 'tiff' });
    const avif = new Uint8Array([0, 0, 0, 0x1c, ...new TextEncoder().encode('ftypavif'), 0, 0, 0, 0]);
    expect(sniffFormat(avif)).toEqual({ kind: 'refused', format: 'avif' });
  });
});

describe('PNG decoding to RGBA', () => {
  const width = 5;
  const height = 3;

  it('keeps RGBA pixels and alpha as they are', async () => {
    const data = noise(width * height * 4, 1);
    const image = await decodeImage(encode({ width, height, data, channels: 4 }));
    expect(image).toMatchObject({ width, height });
    expect(Array.from(image.data)).toEqual(Array.from(data));
  });

  it('gives RGB an opaque alpha and replicates greyscale', async () => {
    const rgb = noise(width * height * 3, 2);
    const fromRgb = await decodeImage(encode({ width, height, data: rgb, channels: 3 }));
    const grey = noise(width * height, 3);
    const fromGrey = await decodeImage(encode({ width, height, data: grey, channels: 1 }));
    const greyAlpha = noise(width * height * 2, 4);
    const fromGreyAlpha = await decodeImage(encode({ width, height, data: greyAlpha, channels: 2 }));
    for (let p = 0; p < width * height; p++) {
      expect(Array.from(fromRgb.data.subarray(p * 4, p * 4 + 4))).toEqual([
        ...rgb.subarray(p * 3, p * 3 + 3),
        255,
      ]);
      const g = grey[p] ?? -1;
      expect(Array.from(fromGrey.data.subarray(p * 4, p * 4 + 4))).toEqual([g, g, g, 255]);
      const [l, a] = [greyAlpha[p * 2] ?? -1, greyAlpha[p * 2 + 1] ?? -1];
      expect(Array.from(fromGreyAlpha.data.subarray(p * 4, p * 4 + 4))).toEqual([l, l, l, a]);
    }
  });

  it('reduces 16-bit samples to their high byte', async () => {
    const data = new Uint16Array(noise(width * height * 3 * 2, 5).buffer);
    const image = await decodeImage(encode({ width, height, data, channels: 3, depth: 16 }));
    for (let p = 0; p < width * height; p++) {
      expect(image.data[p * 4 + 1]).toBe((data[p * 3 + 1] ?? 0) >> 8);
      expect(image.data[p * 4 + 3]).toBe(255);
    }
  });

  it('decodes Adam7-interlaced images like non-interlaced ones', async () => {
    const data = noise(13 * 11 * 4, 6);
    const plain = await decodeImage(encode({ width: 13, height: 11, data, channels: 4 }));
    const interlaced = await decodeImage(
      encode({ width: 13, height: 11, data, channels: 4 }, { interlace: 'Adam7' }),
    );
    expect(Array.from(interlaced.data)).toEqual(Array.from(plain.data));
  });

  it('expands palette images, including tRNS alpha', async () => {
    // Translucent entries first: fast-png's encoder writes tRNS values only for non-opaque entries.
    const palette = [
      [255, 0, 0, 128],
      [10, 20, 30, 0],
      [0, 255, 0, 255],
    ];
    const indices = noise(width * height, 7, 3);
    const image = await decodeImage(encode({ width, height, data: indices, channels: 1, depth: 8, palette }));
    for (let p = 0; p < width * height; p++) {
      expect(Array.from(image.data.subarray(p * 4, p * 4 + 4))).toEqual(palette[indices[p] ?? 0]);
    }
  });
});

/** The RGB channels of an RGBA image, to compare with Pillow's `tobytes()` of an RGB image. */
function rgbOf(data: Uint8Array | Uint8ClampedArray): number[] {
  return Array.from(data).filter((_, i) => i % 4 !== 3);
}

describe('JPEG decoding to RGBA', () => {
  it('decodes baseline colour JPEGs to exactly the pixels Pillow (libjpeg-turbo) gives', async () => {
    const colour = await decodeImage(fromBase64(JPEG_8X6));
    expect(colour).toMatchObject({ width: 8, height: 6 });
    expect(rgbOf(colour.data)).toEqual(JPEG_8X6_PILLOW_RGB);
    expect(colour.data.filter((_, i) => i % 4 === 3).every((alpha) => alpha === 255)).toBe(true);
  });

  it('decodes progressive 4:2:0 JPEGs exactly, chroma upsampling included', async () => {
    const image = await decodeImage(fromBase64(JPEG_PROGRESSIVE_420_8X6));
    expect(image).toMatchObject({ width: 8, height: 6 });
    expect(rgbOf(image.data)).toEqual(JPEG_PROGRESSIVE_420_8X6_PILLOW_RGB);
  });

  it('decodes greyscale JPEGs to grey RGBA', async () => {
    const grey = await decodeImage(fromBase64(JPEG_GREY_8X6));
    expect(grey).toMatchObject({ width: 8, height: 6 });
    for (let p = 0; p < 48; p++) {
      const [r, g, b, a] = grey.data.subarray(p * 4, p * 4 + 4);
      expect([g, b, a]).toEqual([r, r, 255]);
    }
  });

  it('accepts bytes after the end-of-image marker, as Pillow does', async () => {
    const jpeg = fromBase64(JPEG_8X6);
    const padded = new Uint8Array(jpeg.length + 16);
    padded.set(jpeg);
    padded.fill(0xab, jpeg.length);
    expect(rgbOf((await decodeImage(padded)).data)).toEqual(JPEG_8X6_PILLOW_RGB);
  });
});

describe('CMYK JPEG decoding', () => {
  it('converts Adobe CMYK to the RGB Pillow gives, on every pixel', async () => {
    const image = await decodeImage(fromBase64(JPEG_CMYK_8X8));
    expect(image).toMatchObject({ width: 8, height: 8 });
    // TurboJPEG (Node, workerd) + Pillow's conversion: exact. (jpeg-js, where there is no
    // TurboJPEG, is up to 2 off; tests/image/reference.test.ts checks larger CMYK photos.)
    const rgb = Array.from(image.data).filter((_, i) => i % 4 !== 3);
    expect(rgb).toEqual(Array.from({ length: 8 }, () => JPEG_CMYK_8X8_PILLOW_ROW).flat());
    expect(image.data.filter((_, i) => i % 4 === 3).every((a) => a === 255)).toBe(true);
  });

  it('refuses a CMYK file libjpeg warns about as image_corrupt, and decodes the next one', async () => {
    const jpeg = fromBase64(JPEG_CMYK_8X8);
    const sos = jpeg.findIndex((byte, i) => byte === 0xff && jpeg[i + 1] === 0xda);
    const stray = new Uint8Array([...jpeg.subarray(0, sos), 0x12, 0x34, ...jpeg.subarray(sos)]);
    await expectDescryError(() => decodeImage(stray), ImageDecodeError, 'image_corrupt');
    const garbled = jpeg.slice();
    const dht = garbled.findIndex((byte, i) => byte === 0xff && garbled[i + 1] === 0xc4);
    garbled.fill(0xff, dht + 5, dht + 21);
    await expectDescryError(() => decodeImage(garbled), ImageDecodeError, 'image_corrupt');
    expect((await decodeImage(jpeg)).width).toBe(8);
  });
});

describe('bad input fails with a typed error', () => {
  const png = encode({ width: 40, height: 30, data: noise(40 * 30 * 4, 8), channels: 4 });
  const idat = png.findIndex((_, i) => String.fromCharCode(...png.subarray(i, i + 4)) === 'IDAT');

  it('zero bytes: image_empty', async () => {
    await expectDescryError(() => decodeImage(new Uint8Array(0)), ImageDecodeError, 'image_empty');
  });

  it('garbage bytes: image_unsupported_format', async () => {
    await expectDescryError(() => decodeImage(noise(500, 9)), ImageDecodeError, 'image_unsupported_format');
  });

  it('GIF, BMP and TIFF: image_unsupported_format naming the format', async () => {
    for (const [sample, format] of [
      [GIF_8X6, 'gif'],
      [BMP_8X6, 'bmp'],
      [TIFF_8X6, 'tiff'],
    ] as const) {
      const error = await expectDescryError(
        () => decodeImage(fromBase64(sample)),
        ImageDecodeError,
        'image_unsupported_format',
      );
      expect(error.details).toEqual({ format });
    }
  });

  it('truncated PNG, at any length: image_corrupt', async () => {
    for (const length of [9, 20, 30, 40, idat + 10, png.length - 20, png.length - 1]) {
      await expectDescryError(() => decodeImage(png.subarray(0, length)), ImageDecodeError, 'image_corrupt');
    }
  });

  it('PNG with a bad CRC: image_corrupt', async () => {
    const broken = png.slice();
    broken[idat + 20] = (broken[idat + 20] ?? 0) ^ 0xff;
    await expectDescryError(() => decodeImage(broken), ImageDecodeError, 'image_corrupt');
  });

  it('PNG with garbage IDAT data and a valid CRC: image_corrupt', async () => {
    const broken = png.slice();
    const view = new DataView(broken.buffer);
    const length = view.getUint32(idat - 4);
    broken.set(noise(length, 10), idat + 4);
    view.setUint32(idat + 4 + length, crc32(broken.subarray(idat, idat + 4 + length)));
    await expectDescryError(() => decodeImage(broken), ImageDecodeError, 'image_corrupt');
  });

  it('PNG whose data inflates far past its declared size (decompression bomb): image_corrupt', async () => {
    const idat = await deflate(new Uint8Array(4 * 2 ** 20));
    expect(idat.length).toBeLessThan(10_000);
    const error = await expectDescryError(
      () => decodeImage(pngWithIdat(10, 10, idat)),
      ImageDecodeError,
      'image_corrupt',
    );
    expect(error.message).toMatch(/inflates past/);
  });

  it('PNG whose valid data stream ends before the last row: image_corrupt', async () => {
    // 10x10 RGBA needs 10 rows of 1 filter byte + 40 bytes.
    const idat = await deflate(new Uint8Array(10 * 41 - 41));
    const error = await expectDescryError(
      () => decodeImage(pngWithIdat(10, 10, idat)),
      ImageDecodeError,
      'image_corrupt',
    );
    expect(error.message).toMatch(/ends after 369 of the 410 bytes/);
    await expect(decodeImage(pngWithIdat(10, 10, await deflate(new Uint8Array(410))))).resolves.toMatchObject(
      {
        width: 10,
      },
    );
  });

  it('PNG header claiming 100000x100000: image_too_large with the dimensions, before decoding', async () => {
    const error = await expectDescryError(
      () => decodeImage(pngWithSize(100_000, 100_000)),
      ImageDecodeError,
      'image_too_large',
    );
    expect(error.details).toMatchObject({ width: 100_000, height: 100_000 });
  });

  it('a configurable maxPixels applies to real images', async () => {
    await expectDescryError(
      () => decodeImage(png, { maxPixels: 40 * 30 - 1 }),
      ImageDecodeError,
      'image_too_large',
    );
    await expect(decodeImage(png, { maxPixels: 40 * 30 })).resolves.toMatchObject({ width: 40, height: 30 });
  });

  it('JPEG header claiming 65535x65535: image_too_large', async () => {
    const jpeg = fromBase64(JPEG_8X6).slice();
    const sof = jpeg.findIndex((byte, i) => byte === 0xff && jpeg[i + 1] === 0xc0);
    jpeg.set([0xff, 0xff, 0xff, 0xff], sof + 5);
    const error = await expectDescryError(() => decodeImage(jpeg), ImageDecodeError, 'image_too_large');
    expect(error.details).toMatchObject({ width: 65535, height: 65535 });
  });

  it('JPEG whose header is far larger than its data (8x6 relabelled 4000x4000): image_corrupt before decoding', async () => {
    const jpeg = fromBase64(JPEG_8X6).slice();
    const sof = jpeg.findIndex((byte, i) => byte === 0xff && jpeg[i + 1] === 0xc0);
    jpeg.set([4000 >> 8, 4000 & 255, 4000 >> 8, 4000 & 255], sof + 5);
    const error = await expectDescryError(() => decodeImage(jpeg), ImageDecodeError, 'image_corrupt');
    expect(error.message).toMatch(/declares 4000x4000, which needs at least \d+ bytes/);
  });

  it('JPEG whose header is a little larger than its data (8x6 relabelled 16x12): image_corrupt, not grey rows', async () => {
    const jpeg = fromBase64(JPEG_8X6).slice();
    const sof = jpeg.findIndex((byte, i) => byte === 0xff && jpeg[i + 1] === 0xc0);
    jpeg.set([0, 12, 0, 16], sof + 5);
    const error = await expectDescryError(() => decodeImage(jpeg), ImageDecodeError, 'image_corrupt');
    expect(error.message).toMatch(/premature end of data segment/);
    expect(rgbOf((await decodeImage(fromBase64(JPEG_8X6))).data)).toEqual(JPEG_8X6_PILLOW_RGB);
  });

  it('truncated JPEG, at any length: image_corrupt', async () => {
    const jpeg = fromBase64(JPEG_8X6);
    for (const length of [3, 4, 50, 200, 400, jpeg.length - 100, jpeg.length - 2]) {
      await expectDescryError(() => decodeImage(jpeg.subarray(0, length)), ImageDecodeError, 'image_corrupt');
    }
  });

  it('JPEG that libjpeg refuses (bad Huffman table): image_corrupt, and the decoder keeps working', async () => {
    const jpeg = fromBase64(JPEG_8X6).slice();
    const dht = jpeg.findIndex((byte, i) => byte === 0xff && jpeg[i + 1] === 0xc4);
    jpeg.fill(0xff, dht + 5, dht + 21); // code counts summing past 256
    const error = await expectDescryError(() => decodeImage(jpeg), ImageDecodeError, 'image_corrupt');
    expect(error.message).toMatch(/Huffman/);
    expect(rgbOf((await decodeImage(fromBase64(JPEG_8X6))).data)).toEqual(JPEG_8X6_PILLOW_RGB);
  });

  it('progressive JPEG with thousands of scans: image_corrupt before libjpeg spends time on them', async () => {
    const jpeg = fromBase64(JPEG_PROGRESSIVE_420_8X6);
    let lastScan = -1;
    jpeg.forEach((byte, i) => {
      if (byte === 0xff && jpeg[i + 1] === 0xda) lastScan = i;
    });
    const scan = jpeg.subarray(lastScan, jpeg.length - 2);
    const repeats = 600;
    const many = new Uint8Array(lastScan + scan.length * repeats + 2);
    many.set(jpeg.subarray(0, lastScan));
    for (let r = 0; r < repeats; r++) many.set(scan, lastScan + r * scan.length);
    many.set([0xff, 0xd9], many.length - 2);
    const error = await expectDescryError(() => decodeImage(many), ImageDecodeError, 'image_corrupt');
    expect(error.message).toMatch(/scans/);
  });

  it('JPEG with garbage after its headers: image_corrupt', async () => {
    const jpeg = fromBase64(JPEG_8X6).slice();
    const sos = jpeg.findIndex((byte, i) => byte === 0xff && jpeg[i + 1] === 0xda);
    jpeg.set(noise(jpeg.length - sos - 20, 11), sos + 14);
    await expectDescryError(() => decodeImage(jpeg), ImageDecodeError, 'image_corrupt');
  });

  it('WebP headers claiming 100000x100000 (VP8X) or a zero size: rejected before the decoder loads', async () => {
    const vp8x = new Uint8Array(40);
    vp8x.set(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8X'));
    const size = 100_000 - 1;
    vp8x.set(
      [
        10,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        size & 0xff,
        (size >> 8) & 0xff,
        size >> 16,
        size & 0xff,
        (size >> 8) & 0xff,
        size >> 16,
      ],
      16,
    );
    const error = await expectDescryError(() => decodeImage(vp8x), ImageDecodeError, 'image_too_large');
    expect(error.details).toMatchObject({ width: 100_000, height: 100_000 });
    const animated = vp8x.slice();
    animated.set([0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 20);
    await expectDescryError(() => decodeImage(animated), ImageDecodeError, 'image_unsupported_format');
    await expectDescryError(
      () => decodeImage(fromBase64(WEBP_LOSSY_8X6).subarray(0, 20)),
      ImageDecodeError,
      'image_corrupt',
    );
  });
});

describe('decoding into a caller-supplied buffer (DecodeOptions.output)', () => {
  it('writes every byte of a reused, dirty buffer, the same pixels as a fresh decode', async () => {
    const samples = [
      fromBase64(JPEG_8X6),
      fromBase64(JPEG_CMYK_8X8),
      fromBase64(WEBP_LOSSY_8X6),
      encode({ width: 7, height: 5, channels: 3, data: Uint8Array.from({ length: 105 }, (_, i) => i * 7) }),
      encode({ width: 7, height: 5, channels: 4, data: Uint8Array.from({ length: 140 }, (_, i) => i * 3) }),
    ];
    const kept = new Uint8Array(1024);
    for (const bytes of samples) {
      const fresh = await decodeImage(bytes);
      kept.fill(0xa5);
      const lengths: number[] = [];
      const reused = await decodeImage(bytes, {
        output: (length) => {
          lengths.push(length);
          return kept;
        },
      });
      expect(lengths).toEqual([fresh.width * fresh.height * 4]);
      expect(reused.data.buffer).toBe(kept.buffer);
      expect(Array.from(reused.data)).toEqual(Array.from(fresh.data));
    }
  });

  it('refuses a buffer shorter than the pixels', async () => {
    await expect(decodeImage(fromBase64(JPEG_8X6), { output: () => new Uint8Array(10) })).rejects.toThrow(
      RangeError,
    );
  });
});
