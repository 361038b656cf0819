/**
 * The two zlib operations a PNG needs, bounded and done once: inflating the image data to exactly
 * the size the header declares, and CRC-32 over chunks.
 *
 * The implementation is installed by the runtime's entry point, so that no module the browser or
 * workerd loads imports a Node built-in (wrangler warns about any it cannot resolve):
 * - the default, for browsers and workerd: fflate's streaming inflater fed 64 KiB at a time into a
 *   buffer of the declared size and stopped as soon as it would overflow: one step can produce at
 *   most about 66 MB (deflate expands at most ~1032x), and the stream is never inflated twice.
 *   (The platform DecompressionStream is avoided: workerd reports spurious unhandled rejections
 *   for corrupt input, cloudflare/workerd#6061.)
 * - Node's entry installs Node's native zlib inflate (./node-providers.ts), about three times as
 *   fast on photos (`npm run bench:preprocess`).
 */
import { Unzlib } from 'fflate';

/** Why inflating failed: the stream holds more or fewer bytes than declared, or is not zlib. */
export class InflateError extends Error {
  constructor(
    readonly kind: 'long' | 'short' | 'invalid',
    /** Bytes inflated before the failure. */
    readonly produced: number,
    readonly size: number,
    reason?: string,
  ) {
    super(
      kind === 'long'
        ? `inflates past the ${size} bytes`
        : `ends after ${produced} of the ${size} bytes${reason === undefined ? '' : ` (${reason})`}`,
    );
  }
}

/** The parts of a stream as one buffer (the first part itself when there is one). */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const SLICE = 64 * 1024;

class Overflow extends Error {}

function inflateWithFflate(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let produced = 0;
  let ended = false;
  const inflater = new Unzlib((chunk, final) => {
    if (produced + chunk.length > size) throw new Overflow();
    out.set(chunk, produced);
    produced += chunk.length;
    if (final) ended = true;
  });
  try {
    for (const part of parts) {
      // Junk after a complete stream is tolerated, as libpng and zlib do.
      for (let offset = 0; offset < part.length && !ended; offset += SLICE) {
        inflater.push(part.subarray(offset, offset + SLICE));
      }
    }
    if (!ended) inflater.push(new Uint8Array(0), true);
  } catch (error) {
    if (error instanceof Overflow) throw new InflateError('long', size + 1, size);
    throw new InflateError('invalid', produced, size, error instanceof Error ? error.message : String(error));
  }
  if (produced < size) throw new InflateError('short', produced, size);
  return out;
}

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

function crc32Js(data: Uint8Array): number {
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** The zlib operations of a PNG decode, chosen once per runtime. */
export interface PngZlib {
  /**
   * Inflates the zlib stream split over `parts` to exactly `size` bytes.
   *
   * @throws InflateError when the stream holds more or fewer bytes, or is not a valid zlib stream.
   */
  inflateExactly(parts: readonly Uint8Array[], size: number): Uint8Array;
  /** CRC-32 (ISO 3309, as PNG uses it). */
  crc32(data: Uint8Array): number;
}

/** The pure-JavaScript implementation: the default, for runtimes without Node's zlib (and for tests of it). */
export const portableZlib: PngZlib = { inflateExactly: inflateWithFflate, crc32: crc32Js };

let installed: PngZlib = portableZlib;

/** Installs the runtime's zlib (Node's entry point installs Node's); `undefined` restores the default. */
export function installPngZlib(zlib: PngZlib | undefined): void {
  installed = zlib ?? portableZlib;
}

/** The zlib PNG decoding uses: the installed one, else fflate and a table CRC. */
export function pngZlib(): PngZlib {
  return installed;
}
