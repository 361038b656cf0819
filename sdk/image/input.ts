/**
 * Normalises every accepted image input to RGBA pixels: encoded bytes in any container, URLs
 * (data: everywhere, http(s) through fetch) and already-decoded pixels.
 */
import { ImageDecodeError, InvalidInputError } from '../errors.js';
import type { ImageInput, RgbaImage } from '../types.js';
import { decodeDataUrl } from './data-url.js';
import { decodeImage } from './decode.js';
import type { DecodeOptions } from './limits.js';
import { assertRgbaImage } from './rgba.js';

/** Default cap on downloaded bytes: 32 MiB, ample for a 40-megapixel JPEG. */
export const DEFAULT_MAX_BYTES = 32 * 2 ** 20;

/** Options for {@link toRgba}. */
export interface ToRgbaOptions extends DecodeOptions {
  /** Largest accepted download for http(s) inputs. Defaults to {@link DEFAULT_MAX_BYTES}. */
  maxBytes?: number;
  /** The fetch used for http(s) inputs; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Cancels an http(s) download. */
  signal?: AbortSignal;
}

function isRgbaImage(input: ImageInput): input is RgbaImage {
  return (
    typeof input === 'object' && input !== null && 'width' in input && 'height' in input && 'data' in input
  );
}

function fetchFailed(
  url: string,
  message: string,
  details: Record<string, unknown>,
  cause?: unknown,
): ImageDecodeError {
  return new ImageDecodeError('image_fetch_failed', `Fetching ${url} failed: ${message}`, {
    cause,
    details: { url, ...details },
  });
}

/** Reads a response body, stopping as soon as it passes `maxBytes` instead of buffering it all. */
async function readCapped(response: Response, url: string, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  const tooLarge = () =>
    new ImageDecodeError('image_too_large', `The image at ${url} is larger than ${maxBytes} bytes.`, {
      details: { url, maxBytes },
    });
  if (declared > maxBytes) throw tooLarge();
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** The URL without query, fragment or credentials: signed URLs must not leak into errors and logs. */
function redacted(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

async function download(url: URL, options: ToRgbaOptions | undefined): Promise<Uint8Array> {
  const shown = redacted(url);
  const fetcher = options?.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await fetcher(url, options?.signal ? { signal: options.signal } : undefined);
  } catch (cause) {
    throw fetchFailed(shown, cause instanceof Error ? cause.message : String(cause), {}, cause);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw fetchFailed(shown, `HTTP ${response.status}`, { status: response.status });
  }
  try {
    return await readCapped(response, shown, options?.maxBytes ?? DEFAULT_MAX_BYTES);
  } catch (cause) {
    if (cause instanceof ImageDecodeError) throw cause;
    throw fetchFailed(shown, cause instanceof Error ? cause.message : String(cause), {}, cause);
  }
}

async function bytesFromUrl(url: URL | string, options: ToRgbaOptions | undefined): Promise<Uint8Array> {
  const text = typeof url === 'string' ? url.trim() : url.href;
  if (/^data:/i.test(text)) return decodeDataUrl(text);
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new InvalidInputError('invalid_input', 'Image strings must be http(s) or data: URLs.', {
      details: { input: text.slice(0, 64) },
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidInputError(
      'invalid_input',
      `Unsupported URL scheme '${parsed.protocol}'; use http(s) or data:.`,
    );
  }
  return await download(parsed, options);
}

async function bytesOf(
  input: Exclude<ImageInput, RgbaImage>,
  options: ToRgbaOptions | undefined,
): Promise<Uint8Array> {
  if (typeof input === 'string' || input instanceof URL) return await bytesFromUrl(input, options);
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (typeof Blob !== 'undefined' && input instanceof Blob) return new Uint8Array(await input.arrayBuffer());
  throw new InvalidInputError(
    'invalid_input',
    'Unsupported image input: pass bytes, a Blob, a URL or RGBA pixels.',
  );
}

/**
 * Reads an {@link ImageInput} without decoding it: encoded bytes (downloaded for a URL), or the
 * RGBA pixels it already is. {@link toRgba} is this followed by {@link decodeImage}; a caller that
 * decodes several images one at a time reads them all first, so downloads still overlap.
 *
 * @throws as {@link toRgba}, except the decoding errors.
 */
export async function readImageInput(
  input: ImageInput,
  options?: ToRgbaOptions,
): Promise<Uint8Array | RgbaImage> {
  if (input === null || input === undefined) {
    throw new InvalidInputError('invalid_input', 'No image was given.');
  }
  if (isRgbaImage(input)) return assertRgbaImage(input);
  return await bytesOf(input, options);
}

/**
 * Turns any {@link ImageInput} into 8-bit RGBA pixels.
 *
 * @throws InvalidInputError 'invalid_input' for malformed RGBA data, URLs or input types.
 * @throws ImageDecodeError 'image_fetch_failed', 'image_empty', 'image_unsupported_format',
 *   'image_too_large' or 'image_corrupt'.
 */
export async function toRgba(input: ImageInput, options?: ToRgbaOptions): Promise<RgbaImage> {
  const read = await readImageInput(input, options);
  return read instanceof Uint8Array ? await decodeImage(read, options) : read;
}
