/**
 * The two zlib operations a PNG needs, bounded and done once: inflating the image data to exactly
 * the size the header declares, and CRC-32 over chunks.
 *
 * Where the runtime has node:zlib (Node; workerd with nodejs_compat), its native inflate runs
 * with `maxOutputLength`, which stops at the first byte past the declared size, so a
 * decompression bomb costs no more than an honest image; it also checks zlib's Adler-32. Elsewhere
 * (browsers, workerd without node:zlib) fflate's streaming inflater is fed 64 KiB at a time into
 * a buffer of the declared size and stopped as soon as it would overflow: one step can produce at
 * most about 66 MB (deflate expands at most ~1032x), and the stream is never inflated twice.
 * (The platform DecompressionStream is avoided: workerd reports spurious unhandled rejections for
 * corrupt input, cloudflare/workerd#6061.)
 */
import { Unzlib } from 'fflate';

/** What this module uses of node:zlib. */
interface NodeZlib {
  inflateSync(data: Uint8Array, options: { maxOutputLength: number; chunkSize: number }): Uint8Array;
  crc32?: (data: Uint8Array, value?: number) => number;
}

function loadNodeZlib(): Promise<NodeZlib | undefined> {
  const versions = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions;
  if (typeof versions?.node !== 'string') return Promise.resolve(undefined);
  // A specifier in a variable keeps bundlers from resolving node:zlib for the browser.
  const specifier = 'node:zlib';
  return import(/* @vite-ignore */ specifier).then(
    (zlib: NodeZlib) => (typeof zlib.inflateSync === 'function' ? zlib : undefined),
    () => undefined,
  );
}

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

function concat(parts: readonly Uint8Array[]): Uint8Array {
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

function inflateWithNode(zlib: NodeZlib, parts: readonly Uint8Array[], size: number): Uint8Array {
  let out: Uint8Array;
  try {
    // One more byte than needed: reaching it proves the stream is too long. One chunk of that
    // size saves zlib from assembling the output from 16 KiB pieces (about 15% of the time).
    out = zlib.inflateSync(concat(parts), { maxOutputLength: size + 1, chunkSize: Math.max(64, size + 1) });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = error instanceof Error ? error.message : String(error);
    // Node says ERR_BUFFER_TOO_LARGE; workerd's node:zlib says "Memory limit exceeded".
    if (code === 'ERR_BUFFER_TOO_LARGE' || /memory limit exceeded/i.test(message)) {
      throw new InflateError('long', size + 1, size);
    }
    // zlib does not say how far it got before "unexpected end of file" or "invalid distance".
    throw new InflateError('invalid', 0, size, message);
  }
  if (out.length > size) throw new InflateError('long', out.length, size);
  if (out.length < size) throw new InflateError('short', out.length, size);
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

/** The pure-JavaScript implementation, for runtimes without node:zlib (and for tests of it). */
export const portableZlib: PngZlib = { inflateExactly: inflateWithFflate, crc32: crc32Js };

let chosen: Promise<PngZlib> | undefined;

/** The runtime's zlib: node:zlib where it exists, fflate and a table CRC elsewhere. */
export function pngZlib(): Promise<PngZlib> {
  chosen ??= loadNodeZlib().then((zlib) => {
    if (zlib === undefined) return portableZlib;
    const native = zlib.crc32;
    return {
      inflateExactly: (parts, size) => inflateWithNode(zlib, parts, size),
      crc32: native === undefined ? crc32Js : (data) => native(data) >>> 0,
    };
  });
  return chosen;
}
