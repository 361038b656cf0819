// Benchmark: decode + preprocess of one image to a 224 px CLIP input (openai/clip-vit-base-patch32's
// preprocessor_config.json), per image, Descry against the preprocessing of transformers.js 2.x
// (@xenova/transformers) and 4.x (@huggingface/transformers): RawImage.fromBlob (sharp's decode in
// Node) + CLIPImageProcessor, and sharp alone. Every contender runs in its own process (so that no
// library's JIT state, worker threads or heap weighs on another), on the same encoded images,
// twice in alternation; the ratios come from this one run.
// "descry" is Descry's default path (large JPEGs decoded at a reduced DCT scale); "descry exact"
// decodes every JPEG at full size, as CLIPImageProcessor does (jpegDctScaling: false). "descry
// reuse" is the default path decoding into one reused RGBA buffer (DecodeOptions.output), as a
// pipeline that drops the pixels after preprocessing can: this machine maps fresh memory slowly.
// The second table splits Descry's paths into decode and preprocess.
// Run: npm run bench:preprocess   (ROUNDS=20 per process by default, PASSES=2)
// Images are generated on each run into a temporary folder, removed at the end.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** openai/clip-vit-base-patch32's preprocessor_config.json, as its hub repository has it. */
const CLIP_VIT_B32 = {
  crop_size: 224,
  do_center_crop: true,
  do_normalize: true,
  do_resize: true,
  feature_extractor_type: 'CLIPFeatureExtractor',
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_std: [0.26862954, 0.26130258, 0.27577711],
  resample: 3,
  size: 224,
};

const ROUNDS = Number(process.env.ROUNDS ?? 20);
const PASSES = Number(process.env.PASSES ?? 2);
const WARMUP = 3;

const IMAGES = ['JPEG 640x480', 'PNG 1000x1000', 'WebP 640x480', 'JPEG 4032x3024'] as const;
const CONTENDERS = [
  'descry',
  'descry reuse',
  'descry exact',
  'transformers.js 2',
  'transformers.js 4',
  'sharp',
] as const;
type Contender = (typeof CONTENDERS)[number];
type Run = (bytes: Uint8Array) => Promise<unknown>;

/** A photo-like RGB image: smooth light and colour, edges, fine texture and a little sensor noise. */
function photo(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  let seed = 7;
  const noise = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return ((seed >>> 24) & 7) - 3.5;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      const edge = (x * 3 + y * 2) % 211 < 90 ? 40 : 0;
      const texture = 12 * Math.sin(x / 3.1) * Math.cos(y / 4.7);
      const i = (y * width + x) * 3;
      out[i] = 90 + 100 * u * (1 - v) + edge + texture + noise();
      out[i + 1] = 70 + 120 * Math.sin(3 * u + 2 * v) ** 2 + texture + noise();
      out[i + 2] = 60 + 140 * v + edge / 2 - texture + noise();
    }
  }
  return out;
}

async function writeImages(dir: string): Promise<void> {
  const { default: sharp } = await import('sharp');
  const encoder = (width: number, height: number) =>
    sharp(Buffer.from(photo(width, height)), { raw: { width, height, channels: 3 } });
  const encoded: Record<(typeof IMAGES)[number], Buffer> = {
    'JPEG 640x480': await encoder(640, 480).jpeg({ quality: 90 }).toBuffer(),
    'PNG 1000x1000': await encoder(1000, 1000).png().toBuffer(),
    'WebP 640x480': await encoder(640, 480).webp({ quality: 80 }).toBuffer(),
    'JPEG 4032x3024': await encoder(4032, 3024).jpeg({ quality: 90 }).toBuffer(),
  };
  for (const name of IMAGES) writeFileSync(join(dir, name), encoded[name]);
}

/** Builds one contender; its libraries are imported in its own process only. */
async function contender(name: Contender, stages: Map<string, number[]>, image: () => string): Promise<Run> {
  const record = (key: string, ms: number) => stages.set(key, [...(stages.get(key) ?? []), ms]);
  switch (name) {
    case 'descry':
    case 'descry reuse':
    case 'descry exact': {
      await import('descry'); // the Node entry point installs node:zlib and the wasm sources
      const { decodeImage, minimumDecodeSize, parsePreprocessorConfig, preprocess } = await import(
        'descry/image'
      );
      const config = parsePreprocessorConfig(CLIP_VIT_B32);
      const minSize = name === 'descry exact' ? undefined : minimumDecodeSize(config);
      let kept = new Uint8Array(0);
      const output =
        name === 'descry reuse'
          ? (length: number) => {
              if (kept.length < length) kept = new Uint8Array(length);
              return kept.subarray(0, length);
            }
          : undefined;
      return async (bytes) => {
        const started = performance.now();
        const rgba = await decodeImage(bytes, { minSize, output });
        const decoded = performance.now();
        const out = preprocess(rgba, config);
        record(`${image()}|decode`, decoded - started);
        record(`${image()}|preprocess`, performance.now() - decoded);
        return out;
      };
    }
    case 'transformers.js 2': {
      const { CLIPFeatureExtractor, RawImage } = await import('@xenova/transformers');
      // Its typings ask for do_rescale and rescale_factor, which it defaults at run time.
      const extractor = new CLIPFeatureExtractor(
        CLIP_VIT_B32 as unknown as ConstructorParameters<typeof CLIPFeatureExtractor>[0],
      );
      return async (bytes) => extractor(await RawImage.fromBlob(new Blob([bytes.slice()])));
    }
    case 'transformers.js 4': {
      const { CLIPImageProcessor, RawImage } = await import('@huggingface/transformers');
      const processor = new CLIPImageProcessor(
        CLIP_VIT_B32 as unknown as ConstructorParameters<typeof CLIPImageProcessor>[0],
      );
      return async (bytes) => processor(await RawImage.fromBlob(new Blob([bytes.slice()])));
    }
    case 'sharp': {
      // sharp decodes and resizes natively (not Pillow's bicubic); rescale + normalise to CHW in JS.
      const { default: sharp } = await import('sharp');
      const [mean, std] = [CLIP_VIT_B32.image_mean, CLIP_VIT_B32.image_std];
      return async (bytes) => {
        const pixels = await sharp(bytes)
          .resize(224, 224, { fit: 'cover', kernel: 'cubic' })
          .raw()
          .toBuffer();
        const out = new Float32Array(3 * 224 * 224);
        for (let p = 0; p < 224 * 224; p++) {
          for (let c = 0; c < 3; c++) {
            out[c * 224 * 224 + p] = (pixels[p * 3 + c]! / 255 - mean[c]!) / std[c]!;
          }
        }
        return out;
      };
    }
  }
}

/** In a child process: time one contender on every image, print the samples as JSON. */
async function child(name: Contender, dir: string): Promise<void> {
  const samples = new Map<string, number[]>();
  let current = '';
  const run = await contender(name, samples, () => current);
  const bytes = IMAGES.map((image) => new Uint8Array(readFileSync(join(dir, image))));
  for (let round = -WARMUP; round < ROUNDS; round++) {
    for (const [i, image] of IMAGES.entries()) {
      current = round < 0 ? 'warmup' : image;
      const started = performance.now();
      await run(bytes[i]!);
      const ms = performance.now() - started;
      if (round >= 0) samples.set(`${image}|total`, [...(samples.get(`${image}|total`) ?? []), ms]);
    }
  }
  process.stdout.write(JSON.stringify(Object.fromEntries(samples)));
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'descry-bench-preprocess-'));
  try {
    await writeImages(dir);
    const samples = new Map<string, number[]>(); // `${contender}|${image}|${stage}`
    for (let pass = 0; pass < PASSES; pass++) {
      // Alternate the order between passes, so no contender always runs first.
      const order = pass % 2 === 0 ? CONTENDERS : [...CONTENDERS].reverse();
      for (const name of order) {
        const result = spawnSync(
          process.execPath,
          ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', name, dir],
          { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, stdio: ['ignore', 'pipe', 'inherit'] },
        );
        if (result.status !== 0) throw new Error(`${name} exited with ${result.status}`);
        for (const [key, values] of Object.entries(JSON.parse(result.stdout) as Record<string, number[]>)) {
          const full = `${name}|${key}`;
          samples.set(full, [...(samples.get(full) ?? []), ...values]);
        }
      }
    }
    const ms = (name: Contender, image: string, stage = 'total') =>
      median(samples.get(`${name}|${image}|${stage}`)!);
    const sizes = IMAGES.map((image) => readFileSync(join(dir, image)).length);
    console.log(
      `decode + preprocess to 224x224 (CLIP ViT-B/32 config), ms per image, median of ${PASSES} processes x ${ROUNDS} rounds per contender, node ${process.version}`,
    );
    console.log(
      `| image | bytes | ${CONTENDERS.join(' | ')} | descry / transformers.js 2 | descry / transformers.js 4 | descry reuse / transformers.js 4 | descry exact / transformers.js 4 |`,
    );
    console.log(`| --- | ---: | ${CONTENDERS.map(() => '---:').join(' | ')} | ---: | ---: | ---: | ---: |`);
    for (const [i, image] of IMAGES.entries()) {
      const row = CONTENDERS.map((name) => ms(name, image));
      const ratio = (a: Contender, b: Contender) => `${(ms(a, image) / ms(b, image)).toFixed(2)}x`;
      console.log(
        `| ${image} | ${sizes[i]} | ${row.map((m) => m.toFixed(2)).join(' | ')} | ${ratio('descry', 'transformers.js 2')} | ${ratio('descry', 'transformers.js 4')} | ${ratio('descry reuse', 'transformers.js 4')} | ${ratio('descry exact', 'transformers.js 4')} |`,
      );
    }
    const staged = ['descry', 'descry reuse', 'descry exact'] as const;
    console.log('\nDescry by stage, ms per image (medians)');
    console.log(`| image | ${staged.map((name) => `${name} decode | ${name} preprocess`).join(' | ')} |`);
    console.log(`| --- | ${staged.map(() => '---: | ---:').join(' | ')} |`);
    for (const image of IMAGES) {
      const cells = staged.flatMap((name) => [
        ms(name, image, 'decode').toFixed(2),
        ms(name, image, 'preprocess').toFixed(2),
      ]);
      console.log(`| ${image} | ${cells.join(' | ')} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const at = process.argv.indexOf('--child');
if (at >= 0) await child(process.argv[at + 1] as Contender, process.argv[at + 2]!);
else await main();
