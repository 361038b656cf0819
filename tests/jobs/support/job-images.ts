/**
 * Images for job tests and benches, made on the fly (runtime-neutral: fast-png), so no test
 * commits hundreds of files: distinct gradients of any count, plus the bad objects a real
 * bucket holds (truncated, unsupported, empty, not an image, too many pixels).
 */
import { encode } from 'fast-png';
import { GIF_BYTES, solidPng, truncatedPng } from '../../worker/support/synthetic-images.js';

/** Image `i` of a set: a two-colour gradient whose colours and direction depend on `i`. */
export function gradientPng(i: number, size = 64): Uint8Array {
  const data = new Uint8Array(size * size * 4);
  const a = [(i * 37) % 256, (i * 91) % 256, (i * 53) % 256];
  const b = [255 - a[0]!, (a[1]! + 128) % 256, (i * 17) % 256];
  const vertical = i % 2 === 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = (vertical ? y : x) / (size - 1);
      const offset = (y * size + x) * 4;
      for (let c = 0; c < 3; c++) data[offset + c] = Math.round(a[c]! * (1 - t) + b[c]! * t);
      data[offset + 3] = 255;
    }
  }
  return encode({ width: size, height: size, data, channels: 4, depth: 8 });
}

/** Objects a bucket of images may hold that cannot be classified, with the error code each gets. */
export function badObjects(maxPixels: number): Array<{ name: string; bytes: Uint8Array; code: string }> {
  const side = Math.ceil(Math.sqrt(maxPixels)) + 1;
  return [
    { name: 'truncated.png', bytes: truncatedPng(), code: 'image_corrupt' },
    { name: 'animated.gif', bytes: GIF_BYTES, code: 'image_unsupported_format' },
    { name: 'empty.png', bytes: new Uint8Array(), code: 'image_empty' },
    { name: 'notes.txt', bytes: new TextEncoder().encode('not an image'), code: 'image_unsupported_format' },
    { name: 'huge.png', bytes: solidPng(side, side), code: 'image_too_large' },
  ];
}
