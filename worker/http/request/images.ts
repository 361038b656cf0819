/** Images as requests carry them (uploaded files, base64, data URLs) turned into bytes. */

import { ImageDecodeError, InvalidInputError } from 'descry';
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

/** One image of a request and the field it came in, for error messages. */
export interface RequestImage {
  bytes: Uint8Array;
  field: string;
}
