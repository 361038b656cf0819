// Benchmark: decode + preprocess of one image to a 224 px CLIP input (openai/clip-vit-base-patch32's
// preprocessor_config.json), per format, Descry against transformers.js's RawImage + CLIP feature
// extractor (sharp decode and resize) and sharp alone, measured in the same run, interleaved.
// "descry" is Descry's default path (large JPEGs decoded at a reduced DCT scale); "descry exact"
// decodes every JPEG at full size, as CLIPImageProcessor does (jpegDctScaling: false).
// Run: npm run bench:preprocess   (ROUNDS=20 by default; the target: PNG 1000x1000 <= 40 ms)
// Images are generated here on each run and never written to disk.
import { CLIPFeatureExtractor, RawImage } from '@xenova/transformers';
import { decodeImage, minimumDecodeSize, parsePreprocessorConfig, preprocess } from 'descry/image';
import sharp from 'sharp';

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
const WARMUP = 3;

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

function encoder(width: number, height: number) {
  return sharp(Buffer.from(photo(width, height)), { raw: { width, height, channels: 3 } });
}

const images: { name: string; bytes: Uint8Array }[] = [
  { name: 'JPEG 640x480', bytes: await encoder(640, 480).jpeg({ quality: 90 }).toBuffer() },
  { name: 'PNG 1000x1000', bytes: await encoder(1000, 1000).png().toBuffer() },
  { name: 'WebP 640x480', bytes: await encoder(640, 480).webp({ quality: 80 }).toBuffer() },
  { name: 'JPEG 4032x3024', bytes: await encoder(4032, 3024).jpeg({ quality: 90 }).toBuffer() },
].map(({ name, bytes }) => ({ name, bytes: new Uint8Array(bytes) }));

const config = parsePreprocessorConfig(CLIP_VIT_B32);
const minSize = minimumDecodeSize(config);
// Its typings ask for do_rescale and rescale_factor, which it defaults at run time, as the hub file omits them.
const extractor = new CLIPFeatureExtractor(
  CLIP_VIT_B32 as unknown as ConstructorParameters<typeof CLIPFeatureExtractor>[0],
);
const [mean, std] = [CLIP_VIT_B32.image_mean, CLIP_VIT_B32.image_std];

type Contender = (bytes: Uint8Array) => Promise<unknown>;

const contenders: Record<string, Contender> = {
  descry: async (bytes) => preprocess(await decodeImage(bytes, { minSize }), config),
  'descry exact': async (bytes) => preprocess(await decodeImage(bytes), config),
  'transformers.js': async (bytes) => extractor(await RawImage.fromBlob(new Blob([bytes.slice()]))),
  // sharp decodes and resizes natively (not Pillow's bicubic); rescale + normalise to CHW in JS.
  sharp: async (bytes) => {
    const pixels = await sharp(bytes).resize(224, 224, { fit: 'cover', kernel: 'cubic' }).raw().toBuffer();
    const out = new Float32Array(3 * 224 * 224);
    for (let p = 0; p < 224 * 224; p++) {
      for (let c = 0; c < 3; c++) out[c * 224 * 224 + p] = (pixels[p * 3 + c]! / 255 - mean[c]!) / std[c]!;
    }
    return out;
  },
};

const names = Object.keys(contenders);
const samples = new Map<string, number[]>();
for (let round = -WARMUP; round < ROUNDS; round++) {
  for (const image of images) {
    // Rotate the order every round so that no contender always runs after the same one.
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round + WARMUP) % names.length]!;
      const started = performance.now();
      await contenders[name]!(image.bytes);
      const ms = performance.now() - started;
      if (round < 0) continue;
      const key = `${image.name}|${name}`;
      samples.set(key, [...(samples.get(key) ?? []), ms]);
    }
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

console.log(
  `decode + preprocess to 224x224 (CLIP ViT-B/32 config), median of ${ROUNDS} interleaved rounds, node ${process.version}`,
);
console.log(`| image | bytes | ${names.join(' ms | ')} ms | descry / transformers.js | descry / sharp |`);
console.log(`| --- | ---: | ${names.map(() => '---:').join(' | ')} | ---: | ---: |`);
for (const image of images) {
  const ms = names.map((name) => median(samples.get(`${image.name}|${name}`)!));
  const [descry, , transformers, sharpMs] = ms as [number, number, number, number];
  console.log(
    `| ${image.name} | ${image.bytes.length} | ${ms.map((m) => m.toFixed(1)).join(' | ')} | ` +
      `${(descry / transformers).toFixed(2)}x | ${(descry / sharpMs).toFixed(2)}x |`,
  );
}
