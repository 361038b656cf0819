/**
 * Images as requests carry them (uploaded files, base64, data URLs) turned into bytes, with the
 * pixel limits checked from the image headers so that nothing is decoded beyond the budget.
 */

import { ImageDecodeError, type ImageProbe, InvalidInputError } from 'descry';
import { decodeBase64 } from 'hono/utils/encode';

const DATA_URL = /^data:([^;,]*)(;[^,]*)?,/;

/** Bytes of a base64 string or a base64 `data:` URL. */
export function bytesOfEncodedImage(value: string, field: string): Uint8Array {
  let payload = value.trim();
  const dataUrl = DATA_URL.exec(payload);
  if (dataUrl) {
    if (!dataUrl[2]?.includes(';base64')) {
      throw new InvalidInputError('invalid_input', `${field}: data URLs must be base64-encoded`);
    }
    payload = payload.slice(dataUrl[0].length);
  }
  // Accept the URL-safe alphabet and missing padding too: clients differ.
  const normalised = payload.replace(/\s+/g, '').replaceAll('-', '+').replaceAll('_', '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normalised)) {
    throw new InvalidInputError('invalid_input', `${field}: not valid base64`);
  }
  const padded = normalised.padEnd(Math.ceil(normalised.length / 4) * 4, '=');
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64(padded);
  } catch {
    throw new InvalidInputError('invalid_input', `${field}: not valid base64`);
  }
  if (bytes.length === 0) throw new ImageDecodeError('image_empty', `${field}: the image is empty`);
  return bytes;
}

/** Bytes of an uploaded multipart file. */
export async function bytesOfUpload(file: Blob, field: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.length === 0) throw new ImageDecodeError('image_empty', `${field}: the image is empty`);
  return bytes;
}

/**
 * The size an image will be decoded at (the engine's probe: a large JPEG at a reduced DCT scale),
 * or undefined when its header cannot be read: the decoder then refuses it with its own error.
 */
function decodedSize(bytes: Uint8Array, probe: ImageProber): ImageProbe | undefined {
  try {
    return probe(bytes);
  } catch {
    return undefined;
  }
}

/** Reads an image's headers as the engine will decode it (`Descry.probe`). */
export type ImageProber = (bytes: Uint8Array) => ImageProbe;

/** One image of a request and the field it came in, for error messages. */
export interface RequestImage {
  bytes: Uint8Array;
  field: string;
}

/**
 * Refuse a request whose images will decode, by their headers, to more than `maxImagePixels` in
 * one image or more than `maxRequestPixels` in all: before any of them is decoded, so neither a
 * decompression bomb nor a pile of large images costs more than reading headers. Pixels are
 * counted as decoded, so a 12-megapixel phone JPEG that the model only needs at 1/4 scale counts
 * its 0.76 megapixels. Headers the probe cannot read are let through: the decoder then rejects
 * them with a precise image_* error.
 */
export function assertPixelBudget(
  images: readonly RequestImage[],
  limits: { maxImagePixels: number; maxRequestPixels: number },
  probe: ImageProber,
): void {
  let total = 0;
  for (const { bytes, field } of images) {
    const size = decodedSize(bytes, probe);
    if (!size) continue;
    const { width, height } = size.decoded;
    const pixels = width * height;
    if (pixels > limits.maxImagePixels) {
      const scaled = width === size.width ? '' : ` (${size.width}×${size.height} decoded at a reduced scale)`;
      throw new ImageDecodeError(
        'image_too_large',
        `${field}: ${width}×${height}${scaled} is ${pixels} pixels, more than the limit of ${limits.maxImagePixels}`,
        { details: { width, height, limit: limits.maxImagePixels } },
      );
    }
    total += pixels;
  }
  if (total > limits.maxRequestPixels) {
    throw new ImageDecodeError(
      'image_too_large',
      `the images of this request total ${total} pixels, more than the per-request limit of ${limits.maxRequestPixels}`,
      { details: { pixels: total, limit: limits.maxRequestPixels } },
    );
  }
}
