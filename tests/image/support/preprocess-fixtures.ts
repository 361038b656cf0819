/// <reference types="vite/client" />
/**
 * The Pillow fixtures of tests/fixtures/preprocess (models/fixtures/make_preprocess_fixtures.py) and
 * tests/fixtures/reference (models/fixtures/make_reference_fixtures.py) as bytes, in Node and
 * inside workerd alike: Vite inlines each file into the test bundle as a base64 data URL
 * (`?url&inline`), so no file system is needed at run time.
 */
const preprocessFiles = import.meta.glob('../../fixtures/preprocess/**/*', {
  query: '?url&inline',
  import: 'default',
  eager: true,
}) as Record<string, string>;

const referenceFiles = import.meta.glob('../../fixtures/reference/*', {
  query: '?url&inline',
  import: 'default',
  eager: true,
}) as Record<string, string>;

function inlinedBytes(files: Record<string, string>, key: string): Uint8Array {
  const url = files[key];
  if (url === undefined) throw new Error(`no fixture ${key}`);
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || !url.slice(0, comma).endsWith(';base64')) {
    throw new Error(`fixture ${key} was not inlined as base64 (${url.slice(0, 40)})`);
  }
  const text = atob(url.slice(comma + 1));
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The bytes of `name`, a path under tests/fixtures/preprocess. */
export function fixtureBytes(name: string): Uint8Array {
  return inlinedBytes(preprocessFiles, `../../fixtures/preprocess/${name}`);
}

/** The bytes of `name`, a file in tests/fixtures/reference. */
export function referenceBytes(name: string): Uint8Array {
  return inlinedBytes(referenceFiles, `../../fixtures/reference/${name}`);
}

/** A little-endian float32 file (the generators' tensors) as a Float32Array. */
export function float32Of(bytes: Uint8Array): Float32Array {
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
