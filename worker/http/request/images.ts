/** Images as requests carry them (uploaded files, base64, data URLs) turned into bytes. */

import { ImageDecodeError, InvalidInputError } from 'descry';
import { decodeBase64 } from 'hono/utils/encode';

const DATA_URL = /^data:([^;,]*)(;[^,]*)?,/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

type Base64Decoder = (base64: string) => Uint8Array;
const native = globalThis as {
  Uint8Array: { fromBase64?: Base64Decoder };
  Buffer?: { from(text: string, encoding: 'base64'): Uint8Array };
};
/**
 * The fastest decoder the runtime has, for base64 already checked against the alphabet:
 * `Uint8Array.fromBase64` (ES2026), else Node's Buffer (Node, Bun, Deno, and workerd with
 * nodejs_compat; copied, so the bytes never share Buffer's pool), else Hono's atob loop, which
 * is several times slower: base64 decoding was the largest part of refusing four oversized
 * progressive JPEGs from their headers (bench/abuse.ts, progressive JPEG case).
 */
const decodeChecked: Base64Decoder =
  native.Uint8Array.fromBase64?.bind(Uint8Array) ??
  (native.Buffer ? (text) => new Uint8Array(native.Buffer!.from(text, 'base64')) : decodeBase64);

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
  // Accept the URL-safe alphabet, line breaks and missing padding too: clients differ. Most send
  // none of them: their payload is scanned once and not copied.
  let normalised = payload;
  if (!BASE64.test(normalised)) {
    normalised = payload.replace(/\s+/g, '').replaceAll('-', '+').replaceAll('_', '/');
    if (!BASE64.test(normalised)) throw new InvalidInputError('invalid_input', `${field}: not valid base64`);
  }
  // One character past a multiple of four is never base64 (decoders differ on it: atob throws).
  if (normalised.length % 4 === 1) throw new InvalidInputError('invalid_input', `${field}: not valid base64`);
  const padded = normalised.padEnd(Math.ceil(normalised.length / 4) * 4, '=');
  let bytes: Uint8Array;
  try {
    bytes = decodeChecked(padded);
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

/** One image of a request and the field it came in, for error messages. */
export interface RequestImage {
  bytes: Uint8Array;
  field: string;
}
