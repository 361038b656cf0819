/**
 * What bench:real runs on, generated on demand into ignored folders: the ViT-B/32-shaped model
 * (bench/models/make_clip_vit_b32.py) and the photo-like images (bench/models/make_bench_images.py).
 * A folder is rebuilt when its generator's version marker is missing or stale.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

/** The generators' VERSION constants: a folder made by another version is made again. */
const MODEL_VERSIONS = { 'clip-vit-base-patch32': 1, 'mobileclip-s0': 2 } as const;

export const paths = {
  root,
  model: join(root, 'bench', '.models', 'clip-vit-base-patch32'),
  /** The small edge model: MobileCLIP-S0's architecture. */
  edgeModel: join(root, 'bench', '.models', 'mobileclip-s0'),
  images: join(root, 'bench', '.images'),
  build: join(root, 'bench', '.build'),
  results: join(root, 'bench', 'results', 'real.md'),
  readme: join(root, 'README.md'),
};

/** The benchmark images, by the name the report uses. */
export const images = {
  jpeg: join(paths.images, 'photo-640x480.jpg'),
  png: join(paths.images, 'photo-1000x1000.png'),
  webp: join(paths.images, 'photo-640x480.webp'),
} as const;

export type ImageName = keyof typeof images;

const python = '/usr/bin/python3';

function generate(script: string): void {
  if (!existsSync(python)) {
    throw new Error(
      `${script} needs ${python} with Debian's python3-torch, python3-onnx, python3-numpy and python3-pil`,
    );
  }
  console.log(`generating: ${python} ${script} (about 3 minutes the first time)`);
  execFileSync(python, [join(root, script)], { stdio: 'inherit' });
}

function isCurrent(name: keyof typeof MODEL_VERSIONS): boolean {
  try {
    const marker = JSON.parse(
      readFileSync(join(root, 'bench', '.models', name, 'descry-bench.json'), 'utf8'),
    ) as {
      version?: number;
    };
    return marker.version === MODEL_VERSIONS[name];
  } catch {
    return false;
  }
}

/** Generate whatever is missing. */
export function ensureAssets(): void {
  if (!isCurrent('clip-vit-base-patch32')) generate('bench/models/make_clip_vit_b32.py');
  if (!isCurrent('mobileclip-s0')) generate('bench/models/make_mobileclip_s0.py');
  if (!Object.values(images).every((path) => existsSync(path))) generate('bench/models/make_bench_images.py');
}
