/**
 * A compact binary form of a TFUP cache, for key-value stores:
 *
 *   "DTFU" | u32 version | u32 header bytes | header JSON (UTF-8, space-padded to 4 bytes)
 *   | pool f32[N·D] | poolLogProbs f32[N·C] | keyIndices u32[M] | keyLabels u32[M]
 *
 * Integers and floats are little-endian: the typed arrays are copied as they lie in
 * memory, and every platform Descry runs on (x86-64, ARM64, WebAssembly) is little-endian.
 */
import { ModelMismatchError } from '../errors.js';
import type { TfupCache, TfupCacheOptions } from './tfup.js';

const MAGIC = 0x55465444; // "DTFU" read as a little-endian u32
const VERSION = 1;

interface Header {
  dim: number;
  classCount: number;
  weightsFingerprint: number;
  options: TfupCacheOptions;
  poolRows: number;
  keyCount: number;
}

/** Serialises a cache to bytes; {@link decodeTfupCache} reads them back. */
export function encodeTfupCache(cache: TfupCache): Uint8Array {
  const header: Header = {
    dim: cache.dim,
    classCount: cache.classCount,
    weightsFingerprint: cache.weightsFingerprint,
    options: cache.options,
    poolRows: cache.pool.rows,
    keyCount: cache.keyIndices.length,
  };
  let json = JSON.stringify(header);
  json += ' '.repeat((4 - (new TextEncoder().encode(json).length % 4)) % 4);
  const headerBytes = new TextEncoder().encode(json);
  const sections = [cache.pool.data, cache.poolLogProbs.data, cache.keyIndices, cache.keyLabels];
  const total = 12 + headerBytes.length + sections.reduce((sum, s) => sum + s.byteLength, 0);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, headerBytes.length, true);
  bytes.set(headerBytes, 12);
  let offset = 12 + headerBytes.length;
  for (const section of sections) {
    bytes.set(new Uint8Array(section.buffer, section.byteOffset, section.byteLength), offset);
    offset += section.byteLength;
  }
  return bytes;
}

/**
 * Reads bytes written by {@link encodeTfupCache}. The result owns its memory.
 *
 * @throws ModelMismatchError (`classifier_format_invalid`) for anything that is not a
 *   complete, consistent TFUP cache of this version.
 */
export function decodeTfupCache(bytes: Uint8Array): TfupCache {
  if (bytes.length < 12) invalid('too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) invalid('not a TFUP cache');
  if (view.getUint32(4, true) !== VERSION) invalid(`unsupported version ${view.getUint32(4, true)}`);
  const headerLength = view.getUint32(8, true);
  if (headerLength % 4 !== 0 || 12 + headerLength > bytes.length) invalid('bad header length');
  const header = parseHeader(bytes.subarray(12, 12 + headerLength));
  const { dim, classCount, poolRows, keyCount } = header;
  const counts = [poolRows * dim, poolRows * classCount, keyCount, keyCount];
  const expected = 12 + headerLength + counts.reduce((sum, n) => sum + 4 * n, 0);
  if (bytes.length !== expected) invalid(`expected ${expected} bytes, got ${bytes.length}`);
  // Copy into a fresh, aligned buffer: `bytes` may sit at any offset of a larger one.
  const body = bytes.slice(12 + headerLength);
  let offset = 0;
  const take = <T>(make: (buffer: ArrayBuffer, offset: number, length: number) => T, length: number): T => {
    const section = make(body.buffer, offset, length);
    offset += 4 * length;
    return section;
  };
  const pool = take((b, o, n) => new Float32Array(b, o, n), counts[0]!);
  const poolLogProbs = take((b, o, n) => new Float32Array(b, o, n), counts[1]!);
  const keyIndices = take((b, o, n) => new Uint32Array(b, o, n), keyCount);
  const keyLabels = take((b, o, n) => new Uint32Array(b, o, n), keyCount);
  if (keyIndices.some((i) => i >= poolRows) || keyLabels.some((c) => c >= classCount)) {
    invalid('a key points outside the pool or the classes');
  }
  return {
    dim,
    classCount,
    weightsFingerprint: header.weightsFingerprint,
    options: header.options,
    pool: { rows: poolRows, cols: dim, data: pool },
    poolLogProbs: { rows: poolRows, cols: classCount, data: poolLogProbs },
    keyIndices,
    keyLabels,
  };
}

function parseHeader(bytes: Uint8Array): Header {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    invalid('unreadable header', cause);
  }
  const h = header as Partial<Header> | null;
  const count = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;
  const options = h?.options as Partial<TfupCacheOptions> | undefined;
  const valid =
    count(h?.dim) &&
    count(h?.classCount) &&
    count(h?.poolRows) &&
    count(h?.keyCount) &&
    count(h?.weightsFingerprint) &&
    typeof options === 'object' &&
    options !== null &&
    (['pseudoLabelScale', 'shotFraction', 'minShots', 'maxShots', 'poolCapacity'] as const).every((key) =>
      Number.isFinite(options[key]),
    );
  if (!valid) invalid('malformed header');
  return h as Header;
}

function invalid(reason: string, cause?: unknown): never {
  throw new ModelMismatchError('classifier_format_invalid', `invalid TFUP cache: ${reason}`, { cause });
}
