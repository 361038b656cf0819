/// <reference types="vite/client" />
/**
 * The Pillow fixtures of tests/fixtures/preprocess (models/fixtures/make_preprocess_fixtures.py) as
 * bytes, in Node and inside workerd alike: Vite inlines each file into the test bundle as a base64
 * data URL (`?url&inline`), so no file system is needed at run time.
 */
const files = import.meta.glob('../../fixtures/preprocess/**/*', {
  query: '?url&inline',
  import: 'default',
  eager: true,
}) as Record<string, string>;

/** The bytes of `name`, a path under tests/fixtures/preprocess. */
export function fixtureBytes(name: string): Uint8Array {
  const url = files[`../../fixtures/preprocess/${name}`];
  if (url === undefined) throw new Error(`no fixture ${name}`);
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || !url.slice(0, comma).endsWith(';base64')) {
    throw new Error(`fixture ${name} was not inlined as base64 (${url.slice(0, 40)})`);
  }
  const text = atob(url.slice(comma + 1));
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
