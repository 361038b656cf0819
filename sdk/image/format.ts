/**
 * Image format sniffing from magic bytes. The declared MIME type or file extension is never trusted:
 * only the first bytes of the data decide which decoder runs.
 */

/** Formats Descry decodes. */
export type ImageFormat = 'png' | 'jpeg' | 'webp';

/** Formats recognised only so that they can be refused with a precise message. */
export type RefusedImageFormat =
  | 'gif'
  | 'bmp'
  | 'tiff'
  | 'avif'
  | 'heic'
  | 'ico'
  | 'jpeg-xl'
  | 'jpeg-2000'
  | 'qoi';

/** What the magic bytes say: a decodable format, a known but refused one, or nothing known. */
export type SniffedFormat =
  | { kind: 'supported'; format: ImageFormat }
  | { kind: 'refused'; format: RefusedImageFormat }
  | { kind: 'unknown' };

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((value, index) => bytes[offset + index] === value);
}

function ascii(text: string): number[] {
  return Array.from(text, (char) => char.charCodeAt(0));
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];

/** ISO-BMFF brands ('ftyp' box) that identify AVIF and HEIF/HEIC files. */
const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

function sniffIsoBmff(bytes: Uint8Array): RefusedImageFormat | undefined {
  if (!startsWith(bytes, ascii('ftyp'), 4)) return undefined;
  const brand = String.fromCharCode(...bytes.subarray(8, 12));
  if (AVIF_BRANDS.has(brand)) return 'avif';
  if (HEIC_BRANDS.has(brand)) return 'heic';
  return undefined;
}

/** Identifies the image format of `bytes` from its signature. */
export function sniffFormat(bytes: Uint8Array): SniffedFormat {
  if (startsWith(bytes, PNG)) return { kind: 'supported', format: 'png' };
  if (startsWith(bytes, JPEG)) return { kind: 'supported', format: 'jpeg' };
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) {
    return { kind: 'supported', format: 'webp' };
  }
  const refused = sniffRefused(bytes);
  return refused === undefined ? { kind: 'unknown' } : { kind: 'refused', format: refused };
}

function sniffRefused(bytes: Uint8Array): RefusedImageFormat | undefined {
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'gif';
  if (startsWith(bytes, ascii('BM')) && bytes.length >= 14) return 'bmp';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]))
    return 'tiff';
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return 'ico';
  if (startsWith(bytes, [0xff, 0x0a]) || startsWith(bytes, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) {
    return 'jpeg-xl';
  }
  if (
    startsWith(bytes, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20]) ||
    startsWith(bytes, [0xff, 0x4f, 0xff, 0x51])
  ) {
    return 'jpeg-2000';
  }
  if (startsWith(bytes, ascii('qoif'))) return 'qoi';
  return sniffIsoBmff(bytes);
}
