/**
 * What an encoded image is, read from its headers alone: format, size, whether it can hold
 * transparency, and what its decode will cost (the decoded size, and the peak bytes the decoder
 * allocates, ./decoder-cost.ts). No pixel is decoded and nothing proportional to the image is
 * allocated, so a server can add up the cost of every image in a request, and refuse it, before
 * decoding any.
 */
import { ImageDecodeError } from '../errors.js';
import { jpegDecoderBytes, pngDecoderBytes, webpDecoderBytes } from './decoder-cost.js';
import { type ImageFormat, sniffFormat } from './format.js';
import { decodeScale } from './jpeg-scaled.js';
import { readJpegStructure } from './jpeg-structure.js';
import { corruptImage } from './limits.js';
import { readPngHeader } from './png.js';
import { readStillWebpHeader } from './webp.js';

/** What {@link probeImage} reads from an image's headers. */
export interface ImageProbe {
  format: ImageFormat;
  /** Size the header declares, in pixels. */
  width: number;
  height: number;
  /**
   * Whether the image can have transparent pixels: a PNG with an alpha channel or a tRNS chunk, a
   * WebP whose header flags alpha. JPEG never has alpha.
   */
  hasAlpha: boolean;
  /**
   * The size the decoder will allocate: the declared size, or for a JPEG probed with a `minSize`
   * the reduced DCT scale it will be decoded at (see {@link ProbeOptions}). Pixel budgets count this.
   */
  decoded: { width: number; height: number };
  /**
   * Peak bytes the decode will allocate, from the headers alone (./decoder-cost.ts): more than the
   * decoded pixels where the decoder buffers more, as libjpeg does with the full-size coefficients
   * of a progressive JPEG even when it decodes at 1/8 scale. Admission control should count this.
   */
  decoderBytes: number;
}

/** Options of {@link probeImage}. */
export interface ProbeOptions {
  /**
   * The smallest decoded size that serves the caller, as decoding is given it (`DecodeOptions.minSize`):
   * a large JPEG is then decoded, and reported in `decoded`, at a reduced DCT scale.
   */
  minSize?: { width: number; height: number } | undefined;
}

/**
 * Sniffs the format of `bytes` and refuses what no decoder here takes.
 *
 * @throws ImageDecodeError 'image_empty' or 'image_unsupported_format'.
 */
export function supportedFormat(bytes: Uint8Array): ImageFormat {
  if (bytes.length === 0) throw new ImageDecodeError('image_empty', 'The image is empty (0 bytes).');
  const sniffed = sniffFormat(bytes);
  if (sniffed.kind === 'refused') {
    throw new ImageDecodeError(
      'image_unsupported_format',
      `${sniffed.format.toUpperCase()} images are not supported; send PNG, JPEG or WebP.`,
      { details: { format: sniffed.format } },
    );
  }
  if (sniffed.kind === 'unknown') {
    throw new ImageDecodeError(
      'image_unsupported_format',
      'The data is not a recognised image format; send PNG, JPEG or WebP.',
      {
        details: {
          firstBytes: Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' '),
        },
      },
    );
  }
  return sniffed.format;
}

/** Whether a tRNS chunk comes before the image data (where the spec puts it). */
function hasTransparencyChunk(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 8; offset + 8 <= bytes.length; ) {
    const type = String.fromCharCode(
      bytes[offset + 4]!,
      bytes[offset + 5]!,
      bytes[offset + 6]!,
      bytes[offset + 7]!,
    );
    if (type === 'tRNS') return true;
    if (type === 'IDAT' || type === 'IEND') return false;
    offset += 12 + view.getUint32(offset);
  }
  return false;
}

type Header = Omit<ImageProbe, 'decoded'> & { scale: number };

function probePng(bytes: Uint8Array): Header {
  const layout = readPngHeader(bytes);
  const { width, height, colorType } = layout;
  const hasAlpha = colorType === 4 || colorType === 6 || hasTransparencyChunk(bytes);
  return {
    format: 'png',
    width,
    height,
    hasAlpha,
    scale: 1,
    decoderBytes: pngDecoderBytes(layout, bytes.length),
  };
}

function probeWebp(bytes: Uint8Array): Header {
  const header = readStillWebpHeader(bytes);
  const decoderBytes = webpDecoderBytes(header.width, header.height, bytes.length);
  return { format: 'webp', ...header, scale: 1, decoderBytes };
}

function probeJpeg(bytes: Uint8Array, options: ProbeOptions): Header {
  const frame = readJpegStructure(bytes);
  const { width, height } = frame;
  const scale = decodeScale(frame, options.minSize);
  const decoderBytes = jpegDecoderBytes(frame, scale, bytes.length);
  return { format: 'jpeg', width, height, hasAlpha: false, scale, decoderBytes };
}

function probeFormat(format: ImageFormat, bytes: Uint8Array, options: ProbeOptions): Header {
  switch (format) {
    case 'png':
      return probePng(bytes);
    case 'jpeg':
      return probeJpeg(bytes, options);
    case 'webp':
      return probeWebp(bytes);
    default: {
      const unknown: never = format;
      throw new TypeError(`no probe for image format ${String(unknown)}`);
    }
  }
}

/**
 * Reads an encoded image's format, declared size, whether it can hold transparency, the size it
 * will be decoded at and the bytes its decode will allocate, without decoding pixels. Sum `decoded` pixels over a request's images to
 * bound the work before decoding any ({@link Descry.probe} fills in the model's `minSize`).
 *
 * @throws ImageDecodeError 'image_empty', 'image_unsupported_format' (also for animated WebP), or
 *   'image_corrupt' when the header cannot be read or declares an empty image.
 */
export function probeImage(bytes: Uint8Array, options: ProbeOptions = {}): ImageProbe {
  const format = supportedFormat(bytes);
  const { scale, ...probe } = probeFormat(format, bytes, options);
  if (
    !Number.isInteger(probe.width) ||
    !Number.isInteger(probe.height) ||
    probe.width < 1 ||
    probe.height < 1
  ) {
    throw corruptImage(
      format.toUpperCase(),
      new Error(`the header declares an empty ${probe.width}x${probe.height} image`),
    );
  }
  return {
    ...probe,
    decoded: { width: Math.ceil(probe.width / scale), height: Math.ceil(probe.height / scale) },
  };
}
