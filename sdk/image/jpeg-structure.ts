/**
 * The marker structure of a JPEG, read without decoding any pixels: the frame header (size and
 * component count) and whether the data reaches the end-of-image marker.
 *
 * The end-of-image check exists because libjpeg "succeeds" on a truncated file, filling the
 * missing rows with grey; Pillow refuses such a file ("image file is truncated"), and so must we.
 */
import { corruptImage } from './limits.js';

/** What the markers of a JPEG declare. */
export interface JpegStructure {
  width: number;
  height: number;
  /** Colour components in the frame: 1 greyscale, 3 YCbCr/RGB, 4 CMYK/YCCK. */
  components: number;
  /** Start-of-scan markers seen: 1 for baseline, about 10 for a usual progressive JPEG. */
  scans: number;
  /** Whether the end-of-image marker follows the last scan; false for a truncated file. */
  complete: boolean;
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
  let frame: Pick<JpegStructure, 'width' | 'height' | 'components'> | undefined;
  let scans = 0;
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
    inScan = false;
    if (marker === 0xd9) {
      if (frame === undefined) break;
      return { ...frame, scans, complete: true };
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
      frame = {
        height: (byte(next + 5) << 8) | byte(next + 6),
        width: (byte(next + 7) << 8) | byte(next + 8),
        components: byte(next + 9),
      };
    }
    if (marker === 0xda) {
      if (frame === undefined) break;
      scans++;
      inScan = true;
    }
    offset = next + 2 + length;
  }
  if (frame === undefined)
    throw corruptImage('JPEG', new Error('no frame header (SOF) before the image data'));
  return { ...frame, scans, complete: false };
}
