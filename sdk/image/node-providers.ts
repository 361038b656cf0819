/**
 * What the image pipeline takes from Node, installed as a side effect of importing this module,
 * which only Node's entry points do (sdk/node.ts, sdk/image/node.ts): node:zlib's inflate and
 * CRC-32 for PNG (./zlib.ts), and reading the decoders' .wasm from node_modules (./wasm-files.ts).
 * Keeping every `node:` import here keeps them out of the browser and workerd bundles.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import { installPackageFileReader } from './wasm-files.js';
import { concat, InflateError, installPngZlib, type PngZlib } from './zlib.js';

function inflateExactly(parts: readonly Uint8Array[], size: number): Uint8Array {
  let out: Uint8Array;
  try {
    // One more byte than needed: reaching it proves the stream is too long. One chunk of that
    // size saves zlib from assembling the output from 16 KiB pieces (about 15% of the time).
    out = zlib.inflateSync(concat(parts), { maxOutputLength: size + 1, chunkSize: Math.max(64, size + 1) });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = error instanceof Error ? error.message : String(error);
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new InflateError('long', size + 1, size);
    // zlib does not say how far it got before "unexpected end of file" or "invalid distance".
    throw new InflateError('invalid', 0, size, message);
  }
  if (out.length > size) throw new InflateError('long', out.length, size);
  if (out.length < size) throw new InflateError('short', out.length, size);
  return out;
}

/** node:zlib's native inflate, bounded by `maxOutputLength`, and its CRC-32. */
export const nodeZlib: PngZlib = {
  inflateExactly,
  crc32: (data) => zlib.crc32(data) >>> 0,
};

installPngZlib(nodeZlib);
const require = createRequire(import.meta.url);
installPackageFileReader(async (packagePath) => new Uint8Array(await readFile(require.resolve(packagePath))));
