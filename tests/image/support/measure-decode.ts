/**
 * Run in a fresh Node process (node --expose-gc --import tsx measure-decode.ts FILE [MIN_SIDE]):
 * decodes FILE as Descry does and prints, as JSON, what probeImage estimated (`decoderBytes`) and
 * how much the decode really added to the process's peak resident memory. The decoders are warmed
 * up on a tiny image of the same format first, so the measure is the decode's own allocations, not
 * the loading of code or the instantiation of wasm.
 */
import '../../../sdk/node.js';
import { readFileSync } from 'node:fs';
import { encode } from 'fast-png';
import { decodeImage } from '../../../sdk/image/decode.js';
import { probeImage } from '../../../sdk/image/probe.js';
import { fromBase64 } from '../expect-error.js';
import {
  JPEG_8X6,
  JPEG_CMYK_8X8,
  JPEG_PROGRESSIVE_420_8X6,
  WEBP_LOSSLESS_8X6,
  WEBP_LOSSY_8X6,
} from '../samples.js';

const [file, minSide] = process.argv.slice(2);
const bytes = new Uint8Array(readFileSync(file!));
const options = minSide === undefined ? {} : { minSize: { width: Number(minSide), height: Number(minSide) } };
const probe = probeImage(bytes, options);

const tiny = [JPEG_8X6, JPEG_PROGRESSIVE_420_8X6, JPEG_CMYK_8X8, WEBP_LOSSY_8X6, WEBP_LOSSLESS_8X6].map(
  (sample) => fromBase64(sample),
);
tiny.push(encode({ width: 4, height: 4, data: new Uint8Array(64), channels: 4 }));
for (const sample of tiny) {
  await decodeImage(sample, options);
  await decodeImage(sample);
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');
gc();
const before = process.memoryUsage.rss();
const peakBefore = process.resourceUsage().maxRSS * 1024;
const image = await decodeImage(bytes, options);
const peak = process.resourceUsage().maxRSS * 1024;
process.stdout.write(
  JSON.stringify({
    decoded: [image.width, image.height],
    expected: [probe.decoded.width, probe.decoded.height],
    estimate: probe.decoderBytes,
    measured: peak - before,
    peakBefore: peakBefore - before,
  }),
);
