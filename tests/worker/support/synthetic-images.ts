/** Images made in the test, runtime-neutral (fast-png), for limits and error paths. */
import { encode } from 'fast-png';
import jpeg from 'jpeg-js';

/** A PNG of one colour. Solid colours compress well, so large dimensions stay small in bytes. */
export function solidPng(
  width: number,
  height: number,
  rgba: [number, number, number, number] = [200, 40, 40, 255],
): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i += 4) data.set(rgba, i);
  return encode({ width, height, data, channels: 4, depth: 8 });
}

/** Base64 of `bytes`, as JSON bodies carry images. */
export function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** A GIF header: a real image format the service does not decode. */
export const GIF_BYTES = new Uint8Array([
  0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff, 0xff, 0x00, 0x00,
  0x00, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
  0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
]);

/** A PNG cut off after its header: declares its size, has no pixel data. */
export function truncatedPng(): Uint8Array {
  return solidPng(32, 32).subarray(0, 40);
}

/** A baseline JPEG of one colour (jpeg-js's encoder): large dimensions in a few kilobytes. */
export function solidJpeg(
  width: number,
  height: number,
  rgb: [number, number, number] = [40, 120, 200],
): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i += 4) data.set([...rgb, 255], i);
  return new Uint8Array(jpeg.encode({ width, height, data }, 50).data);
}

/**
 * The headers of a progressive JPEG of `width` × `height` (4:2:0) and nothing else: what the
 * service reads to cost an image before decoding it. A real decoder would reject the missing
 * scans; a budget must refuse it first.
 */
export function progressiveJpegHeader(width: number, height: number): Uint8Array {
  const sof = [0xff, 0xc2, 0x00, 0x11, 0x08, height >> 8, height & 255, width >> 8, width & 255, 0x03];
  const components = [0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01];
  return Uint8Array.from([0xff, 0xd8, ...sof, ...components, 0xff, 0xd9]);
}
