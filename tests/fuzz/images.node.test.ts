/**
 * Decoder fuzzing with fast-check: generated images and mutated real ones (PNG, JPEG, WebP; byte
 * flips, truncation, splices, and structure-aware damage to PNG chunks, JPEG markers and WebP
 * headers, with CRCs repaired so the damage reaches the decoders) go through decoding and
 * preprocessing. Each one must either give a well-formed tensor or fail with a typed image error:
 * no other exception, no call past a time bound, and memory back near its baseline at the end.
 *
 * `npm test` runs a few hundred cases per group; `npm run fuzz` (FUZZ=full) runs more than 10,000
 * and prints the outcome counts. FUZZ_SEED replays a run.
 */

// Node's entry point installs what decoding takes from Node (the decoders' .wasm, native zlib).
import 'descry';
import fc from 'fast-check';
import { encode } from 'fast-png';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescryError } from '../../sdk/errors.js';
import type { ImageBackground } from '../../sdk/image/background.js';
import { decodeImage } from '../../sdk/image/decode.js';
import { parsePreprocessorConfig, preprocess } from '../../sdk/image/preprocess.js';
import { probeImage } from '../../sdk/image/probe.js';
import type { RgbaImage } from '../../sdk/types.js';
import { FuzzTally, settledMemory, WARM_UP } from './support/fuzz-tally.js';

const FULL = process.env.FUZZ === 'full';
const SEED = process.env.FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED);
/** Cases per group: generated PNGs, and mutations of PNG, JPEG and WebP seeds. */
const RUNS = FULL
  ? { generated: 1500, png: 3500, jpeg: 3000, webp: 2500 }
  : { generated: 100, png: 200, jpeg: 150, webp: 120 };
/** The slowest a single decode + preprocess may take (generous: the machine is shared). */
const TIME_BOUND_MS = 5000;
/** How far memory may stay above its baseline once everything is collected. */
const MEMORY_SLACK_BYTES = 64 * 2 ** 20;
/** Small enough that a mutated header cannot make one case allocate much. */
const MAX_PIXELS = 2_000_000;

const config = parsePreprocessorConfig({
  image_processor_type: 'CLIPImageProcessor',
  size: { shortest_edge: 32 },
  crop_size: { height: 32, width: 32 },
});

/** Outcome counts per group: 'decoded' or the error code. */
const tally = new FuzzTally();

const IMAGE_ERRORS = new Set(['image_empty', 'image_unsupported_format', 'image_corrupt', 'image_too_large']);

/** The property every input must satisfy. Returns the decoded image, if any. */
async function pipeline(
  group: string,
  bytes: Uint8Array,
  background: ImageBackground,
  reduced = false,
): Promise<RgbaImage | undefined> {
  const started = performance.now();
  try {
    probeImage(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(DescryError);
    expect(IMAGE_ERRORS).toContain((error as DescryError).code);
  }
  let image: RgbaImage | undefined;
  try {
    // `reduced` lets JPEGs decode at a DCT scale down to 2x2 (the scaled decoder gets fuzzed too).
    const minSize = reduced ? { width: 2, height: 2 } : undefined;
    image = await decodeImage(bytes, { maxPixels: MAX_PIXELS, minSize });
    expect(image.data.length).toBe(image.width * image.height * 4);
    const tensor = preprocess(image, config, { background });
    expect(tensor.length).toBe(3 * 32 * 32);
    expect(tensor.every(Number.isFinite)).toBe(true);
    tally.count(group, 'decoded');
  } catch (error) {
    if (!(error instanceof DescryError)) throw error;
    expect(IMAGE_ERRORS, `${error.code}: ${error.message}`).toContain(error.code);
    tally.count(group, error.code);
  }
  const elapsed = performance.now() - started;
  tally.durations.push(elapsed);
  expect(elapsed).toBeLessThan(TIME_BOUND_MS);
  return image;
}

// ---- mutations -------------------------------------------------------------------------------

type Mutation = (bytes: Uint8Array) => Uint8Array;

function crc32(bytes: Uint8Array): number {
  let crc = -1;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ -1) >>> 0;
}

interface Chunk {
  type: string;
  data: Uint8Array;
}

function pngChunks(bytes: Uint8Array): Chunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Chunk[] = [];
  for (let offset = 8; offset + 12 <= bytes.length; ) {
    const length = view.getUint32(offset);
    if (offset + 12 + length > bytes.length) break;
    chunks.push({
      type: String.fromCharCode(...bytes.subarray(offset + 4, offset + 8)),
      data: bytes.slice(offset + 8, offset + 8 + length),
    });
    offset += 12 + length;
  }
  return chunks;
}

/** Writes chunks with correct lengths and CRCs, so that damage inside them reaches the decoder. */
function pngFrom(chunks: Chunk[]): Uint8Array {
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])];
  for (const { type, data } of chunks) {
    const chunk = new Uint8Array(12 + data.length);
    const view = new DataView(chunk.buffer);
    view.setUint32(0, data.length);
    chunk.set(new TextEncoder().encode(type.slice(0, 4).padEnd(4, ' ')), 4);
    chunk.set(data, 8);
    view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
    parts.push(chunk);
  }
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const at = (fraction: number, length: number) => Math.floor(fraction * Math.max(1, length));
/** A position past the format's magic bytes, which sniffing checks first (damage there is cheap to find). */
const MAGIC = 12;
const past = (fraction: number, length: number) => Math.min(length, MAGIC + at(fraction, length - MAGIC));

/** Damage any file can take. */
const byteMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc
    .array(fc.tuple(position, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })
    .map((flips) => (bytes: Uint8Array) => {
      const out = bytes.slice();
      for (const [where, value] of flips) out[past(where, out.length)] = value;
      return out;
    }),
  position.map((where) => (bytes: Uint8Array) => bytes.slice(0, past(where, bytes.length))),
  fc
    .tuple(position, fc.uint8Array({ minLength: 1, maxLength: 64 }))
    .map(([where, inserted]) => (bytes: Uint8Array) => {
      const i = past(where, bytes.length);
      return concat([bytes.subarray(0, i), inserted, bytes.subarray(i)]);
    }),
  fc.tuple(position, position).map(([from, length]) => (bytes: Uint8Array) => {
    const i = past(from, bytes.length);
    return concat([bytes.subarray(0, i), bytes.subarray(i + at(length / 4, bytes.length))]);
  }),
  // A stretch of the file copied over another: repeated structure, plausible-looking garbage.
  fc.tuple(position, position, position).map(([from, to, length]) => (bytes: Uint8Array) => {
    const out = bytes.slice();
    const n = at(length / 8, bytes.length);
    const i = at(from, bytes.length);
    const j = past(to, out.length);
    out.set(bytes.subarray(i, i + n).subarray(0, out.length - j), j);
    return out;
  }),
);

/** Damage to PNG chunks, with CRCs made right again. */
const pngMutation: fc.Arbitrary<Mutation> = fc.oneof(
  // IHDR fields: size, bit depth, colour type, compression, filter and interlace methods.
  fc
    .tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 255 }))
    .map(([field, value]) => (bytes: Uint8Array) => {
      const chunks = pngChunks(bytes);
      const ihdr = chunks.find((c) => c.type === 'IHDR');
      if (ihdr?.data[field] !== undefined) ihdr.data[field] = value;
      return pngFrom(chunks);
    }),
  // Bytes inside one chunk (the zlib stream, the palette, tRNS) with its CRC repaired.
  fc
    .tuple(
      position,
      fc.array(fc.tuple(position, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
    )
    .map(([which, flips]) => (bytes: Uint8Array) => {
      const chunks = pngChunks(bytes);
      const chunk = chunks[at(which, chunks.length)];
      if (chunk !== undefined && chunk.data.length > 0) {
        for (const [where, value] of flips) chunk.data[at(where, chunk.data.length)] = value;
      }
      return pngFrom(chunks);
    }),
  // Chunks removed, duplicated, swapped, truncated, or a stray critical chunk added.
  fc.tuple(fc.integer({ min: 0, max: 4 }), position, position).map(([kind, a, b]) => (bytes: Uint8Array) => {
    const chunks = pngChunks(bytes);
    const i = at(a, chunks.length);
    const j = at(b, chunks.length);
    if (kind === 0) chunks.splice(i, 1);
    else if (kind === 1 && chunks[i]) chunks.splice(j, 0, { ...chunks[i]!, data: chunks[i]!.data.slice() });
    else if (kind === 2 && chunks[i] && chunks[j]) [chunks[i], chunks[j]] = [chunks[j]!, chunks[i]!];
    else if (kind === 3 && chunks[i])
      chunks[i]!.data = chunks[i]!.data.slice(0, at(b, chunks[i]!.data.length));
    else
      chunks.splice(j, 0, {
        type: ['PLTE', 'tRNS', 'IDAT', 'IHDR', 'IEND'][at(a, 5)]!,
        data: new Uint8Array(at(b, 40)),
      });
    return pngFrom(chunks);
  }),
);

/** JPEG segment offsets: [marker, start of the segment's length field]. */
function jpegMarkers(bytes: Uint8Array): [number, number][] {
  const found: [number, number][] = [];
  for (let i = 2; i + 3 < bytes.length; i++) {
    if (bytes[i] === 0xff && bytes[i + 1]! >= 0xc0 && bytes[i + 1]! !== 0xff && bytes[i + 1]! !== 0xd8) {
      found.push([bytes[i + 1]!, i + 2]);
    }
  }
  return found;
}

/** Damage to JPEG markers: frame header fields, table contents, scan headers, marker types. */
const jpegMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(0xc0, 0xc2, 0xc4, 0xdb, 0xda, 0xdd),
      fc.integer({ min: 0, max: 20 }),
      fc.integer({ min: 0, max: 255 }),
    )
    .map(([marker, field, value]) => (bytes: Uint8Array) => {
      const out = bytes.slice();
      const hit = jpegMarkers(out).find(([m]) => m === marker);
      if (hit !== undefined && hit[1] + field < out.length) out[hit[1] + field] = value;
      return out;
    }),
  // A marker turned into another one (SOFn, DHT, DQT, SOS, DRI, RSTn, EOI, APPn, COM, DNL...).
  fc.tuple(position, fc.integer({ min: 0xc0, max: 0xfe })).map(([which, marker]) => (bytes: Uint8Array) => {
    const out = bytes.slice();
    const markers = jpegMarkers(out);
    const hit = markers[at(which, markers.length)];
    if (hit !== undefined) out[hit[1] - 1] = marker;
    return out;
  }),
  // Restart markers or a stray EOI dropped into the entropy-coded data.
  fc.tuple(position, fc.integer({ min: 0xd0, max: 0xd9 })).map(([where, marker]) => (bytes: Uint8Array) => {
    const sos = jpegMarkers(bytes).find(([m]) => m === 0xda);
    if (sos === undefined) return bytes;
    const i = sos[1] + 12 + at(where, bytes.length - sos[1] - 14);
    return concat([bytes.subarray(0, i), Uint8Array.from([0xff, marker]), bytes.subarray(i)]);
  }),
);

/** Damage to WebP headers: RIFF size, chunk names and sizes, VP8/VP8L/VP8X fields. */
const webpMutation: fc.Arbitrary<Mutation> = fc
  .tuple(fc.integer({ min: 4, max: 40 }), fc.integer({ min: 0, max: 255 }))
  .map(([field, value]) => (bytes: Uint8Array) => {
    const out = bytes.slice();
    if (field < out.length) out[field] = value;
    return out;
  });

// ---- seeds -----------------------------------------------------------------------------------

const seeds: Record<'png' | 'jpeg' | 'webp', Uint8Array[]> = { png: [], jpeg: [], webp: [] };

function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = (state >>> 16) & 255;
  }
  return out;
}

async function makeSeeds(): Promise<void> {
  const raw = (width: number, height: number, channels: 3 | 4, seed: number) =>
    sharp(noise(width * height * channels, seed), { raw: { width, height, channels } });
  for (const [width, height, seed] of [
    [9, 7, 1],
    [40, 30, 2],
    [17, 64, 3],
  ] as const) {
    seeds.jpeg.push(new Uint8Array(await raw(width, height, 3, seed).jpeg({ quality: 80 }).toBuffer()));
    seeds.jpeg.push(
      new Uint8Array(await raw(width, height, 3, seed).jpeg({ quality: 60, progressive: true }).toBuffer()),
    );
    seeds.jpeg.push(new Uint8Array(await raw(width, height, 3, seed).greyscale().jpeg().toBuffer()));
    seeds.webp.push(new Uint8Array(await raw(width, height, 3, seed).webp({ quality: 70 }).toBuffer()));
    seeds.webp.push(new Uint8Array(await raw(width, height, 4, seed).webp({ lossless: true }).toBuffer()));
    seeds.webp.push(
      new Uint8Array(await raw(width, height, 4, seed).webp({ quality: 50, alphaQuality: 50 }).toBuffer()),
    );
    for (const channels of [1, 2, 3, 4] as const) {
      seeds.png.push(encode({ width, height, channels, data: noise(width * height * channels, seed) }));
    }
    seeds.png.push(
      encode({ width, height, channels: 3, data: noise(width * height * 3, seed) }, { interlace: 'Adam7' }),
    );
    seeds.png.push(
      encode({
        width,
        height,
        channels: 1,
        depth: 8,
        data: noise(width * height, seed).map((v) => v % 5),
        palette: [
          [255, 0, 0, 255],
          [0, 255, 0, 128],
          [0, 0, 255, 0],
          [9, 9, 9, 255],
        ],
      }),
    );
  }
}

// ---- properties ------------------------------------------------------------------------------

let baseline = 0;

const backgrounds = fc.constantFrom<ImageBackground>('white', 'drop', '#3c8', [0, 0, 0]);

beforeAll(async () => {
  await makeSeeds();
  // Warm every decoder once, so that its wasm instance is part of the baseline.
  for (const format of ['png', 'jpeg', 'webp'] as const) await pipeline(WARM_UP, seeds[format][0]!, 'white');
  baseline = settledMemory();
}, 120_000);

afterAll(() => {
  for (const line of tally.report('images', SEED)) console.info(line);
});

describe('decoder fuzzing: typed errors only, bounded time, memory back to baseline', () => {
  it(`round-trips ${RUNS.generated} generated PNGs exactly`, async () => {
    const generated = fc.record({
      width: fc.integer({ min: 1, max: 48 }),
      height: fc.integer({ min: 1, max: 48 }),
      channels: fc.constantFrom(1, 2, 3, 4),
      depth: fc.constantFrom(8, 16),
      interlace: fc.boolean(),
      seed: fc.integer({ min: 1, max: 2 ** 30 }),
    });
    await fc.assert(
      fc.asyncProperty(
        generated,
        backgrounds,
        async ({ width, height, channels, depth, interlace, seed }, background) => {
          const samples = width * height * channels;
          const data = depth === 8 ? noise(samples, seed) : new Uint16Array(noise(samples * 2, seed).buffer);
          const png = encode(
            { width, height, channels: channels as 1 | 2 | 3 | 4, depth, data },
            interlace ? { interlace: 'Adam7' } : {},
          );
          const image = await pipeline('generated PNG', png, background);
          expect(image).toBeDefined();
          // Every pixel is what was encoded: 8-bit samples as they are, 16-bit ones by their high byte.
          for (let p = 0; p < width * height; p++) {
            const sample = (c: number) =>
              depth === 8 ? data[p * channels + c]! : data[p * channels + c]! >> 8;
            const expected =
              channels <= 2
                ? [sample(0), sample(0), sample(0), channels === 2 ? sample(1) : 255]
                : [sample(0), sample(1), sample(2), channels === 4 ? sample(3) : 255];
            expect(Array.from(image!.data.subarray(p * 4, p * 4 + 4))).toEqual(expected);
          }
        },
      ),
      { numRuns: RUNS.generated, seed: SEED },
    );
  }, 600_000);

  for (const [format, structural] of [
    ['png', pngMutation],
    ['jpeg', jpegMutation],
    ['webp', webpMutation],
  ] as const) {
    it(`survives ${RUNS[format]} mutated ${format.toUpperCase()} files`, async () => {
      const mutations = fc.array(fc.oneof(byteMutation, structural, structural), {
        minLength: 1,
        maxLength: 3,
      });
      await fc.assert(
        fc.asyncProperty(
          fc.nat(),
          mutations,
          backgrounds,
          fc.boolean(),
          async (which, steps, background, reduced) => {
            const seed = seeds[format][which % seeds[format].length]!;
            const bytes = steps.reduce((current, mutate) => mutate(current), seed);
            await pipeline(`mutated ${format.toUpperCase()}`, bytes, background, reduced);
          },
        ),
        { numRuns: RUNS[format], seed: SEED + format.length },
      );
      // The damage must have been found: most mutations of these small files break them.
      const found = tally.outcomes.get(`mutated ${format.toUpperCase()}`)!;
      expect(found.get('image_corrupt') ?? 0).toBeGreaterThan(RUNS[format] / 10);
    }, 900_000);
  }

  it('leaves memory near its baseline once everything is collected', () => {
    const after = settledMemory();
    console.info(FuzzTally.memoryLine(baseline, after, MEMORY_SLACK_BYTES));
    expect(after - baseline).toBeLessThan(MEMORY_SLACK_BYTES);
  });
});
