/**
 * The marker structure of a JPEG, read without decoding any pixels: the frame header (size and
 * component count) and whether the data reaches the end-of-image marker.
 *
 * The end-of-image check exists because libjpeg "succeeds" on a truncated file, filling the
 * missing rows with grey; Pillow refuses such a file ("image file is truncated"), and so must we.
 *
 * The scan-size check catches a header that claims more pixels than the data can hold (a 160x120
 * file relabelled 4000x4000, which libjpeg would also fill with grey) before anything is decoded:
 * Huffman coding spends at least one bit on every 8x8 block of every component (the DC code, in a
 * sequential or a progressive first scan), so the entropy-coded bytes cannot be fewer than the
 * blocks / 8. Arithmetic coding can go below a bit per block; neither decoder here supports it,
 * and those files skip this check.
 */
import { corruptImage } from './limits.js';

/** What the markers of a JPEG declare. */
export interface JpegStructure {
  width: number;
  height: number;
  /** Colour components in the frame: 1 greyscale, 3 YCbCr/RGB, 4 CMYK/YCCK. */
  components: number;
  /** Each component's sampling factors, as the frame header declares them. */
  sampling: { h: number; v: number }[];
  /** A progressive frame (SOF2, 6, 10, 14): libjpeg then buffers every coefficient of the image. */
  progressive: boolean;
  /** Start-of-scan markers seen: 1 for baseline, about 10 for a usual progressive JPEG. */
  scans: number;
  /** Whether the end-of-image marker follows the last scan; false for a truncated file. */
  complete: boolean;
  /** Bytes of entropy-coded data in all scans (stuffing and restart markers included). */
  scanBytes: number;
  /** Fewest entropy-coded bytes that can hold every block of the frame; 0 when unknown. */
  minScanBytes: number;
}

/** Arithmetic-coded frames: SOF9-11 and SOF13-15. */
function isArithmetic(marker: number): boolean {
  return marker >= 0xc9 && marker <= 0xcf && marker !== 0xcc;
}

/** The sampling factors of each component of the frame header at `sof`. */
function samplingFactors(bytes: Uint8Array, sof: number): { h: number; v: number }[] {
  const components = bytes[sof + 9] ?? 0;
  const factors: { h: number; v: number }[] = [];
  for (let c = 0; c < components; c++) {
    const sampling = bytes[sof + 11 + c * 3] ?? 0;
    factors.push({ h: sampling >> 4, v: sampling & 15 });
  }
  return factors;
}

/**
 * One bit per 8x8 block of each component, with libjpeg's component sizes:
 * ceil(width * h / hmax) by ceil(height * v / vmax) samples.
 */
function minimumScanBytes(factors: { h: number; v: number }[], width: number, height: number): number {
  const hmax = Math.max(0, ...factors.map((f) => f.h));
  const vmax = Math.max(0, ...factors.map((f) => f.v));
  if (hmax === 0 || vmax === 0) return 0; // libjpeg refuses bogus sampling factors itself
  let blocks = 0;
  for (const { h, v } of factors) {
    blocks += Math.ceil(Math.ceil((width * h) / hmax) / 8) * Math.ceil(Math.ceil((height * v) / vmax) / 8);
  }
  return Math.floor(blocks / 8);
}

/** Start-of-frame markers: every SOFn except DHT (C4), JPG (C8) and DAC (CC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Markers without a length field: SOI, TEM and the restart markers. */
function isStandalone(marker: number): boolean {
  return marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);
}

/**
 * Walks the marker segments and the entropy-coded scans after them, the way libjpeg does.
 *
 * @throws ImageDecodeError 'image_corrupt' when no frame header comes before the first scan or the end.
 */
export function readJpegStructure(bytes: Uint8Array): JpegStructure {
  const byte = (index: number) => bytes[index] ?? 0;
  let frame:
    | Pick<JpegStructure, 'width' | 'height' | 'components' | 'sampling' | 'progressive' | 'minScanBytes'>
    | undefined;
  let scans = 0;
  let scanBytes = 0;
  let scanStart = -1;
  let inScan = false;
  let offset = 2; // after SOI, which sniffing has checked
  while (offset + 1 < bytes.length) {
    const next = bytes.indexOf(0xff, offset);
    if (next < 0 || next + 1 >= bytes.length) break;
    const marker = byte(next + 1);
    if (marker === 0xff) {
      offset = next + 1; // fill byte
      continue;
    }
    // 0xFF00 is a stuffed byte in a scan (garbage elsewhere); restart markers stay inside a scan.
    if (marker === 0x00 || (inScan && marker >= 0xd0 && marker <= 0xd7)) {
      offset = next + 2;
      continue;
    }
    // Bytes skipped before a marker outside a scan are garbage that libjpeg skips with a warning.
    if (inScan) scanBytes += next - scanStart;
    inScan = false;
    if (marker === 0xd9) {
      if (frame === undefined) break;
      return { ...frame, scans, complete: true, scanBytes };
    }
    if (isStandalone(marker)) {
      offset = next + 2;
      continue;
    }
    if (next + 4 > bytes.length) break;
    const length = (byte(next + 2) << 8) | byte(next + 3);
    if (length < 2)
      throw corruptImage('JPEG', new Error(`marker 0x${marker.toString(16)} has length ${length}`));
    if (isStartOfFrame(marker) && frame === undefined) {
      if (next + 10 > bytes.length) break;
      const height = (byte(next + 5) << 8) | byte(next + 6);
      const width = (byte(next + 7) << 8) | byte(next + 8);
      const sampling = samplingFactors(bytes, next);
      frame = {
        height,
        width,
        components: byte(next + 9),
        sampling,
        progressive: (marker & 0x03) === 0x02,
        minScanBytes: isArithmetic(marker) ? 0 : minimumScanBytes(sampling, width, height),
      };
    }
    if (marker === 0xda) {
      if (frame === undefined) break;
      scans++;
      inScan = true;
      scanStart = next + 2 + length;
    }
    offset = next + 2 + length;
  }
  if (inScan) scanBytes += Math.max(0, bytes.length - scanStart);
  if (frame === undefined)
    throw corruptImage('JPEG', new Error('no frame header (SOF) before the image data'));
  return { ...frame, scans, complete: false, scanBytes };
}
