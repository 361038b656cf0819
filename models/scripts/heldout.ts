/**
 * The held-out OpenMoji evaluation data (built by models/scripts/build-data.mjs into models/.data) and what
 * both the model's evaluation (models/scripts/evaluate.ts) and the methods benchmark (bench/methods-accuracy.ts)
 * do with it: embed PNG files through the SDK from their bytes, with a chosen alpha handling, and measure
 * top-k accuracy with a bootstrap interval over images.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Descry, Matrix } from 'descry';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const DATA = join(ROOT, 'models', '.data');

/** How a PNG's alpha reaches the model: the SDK's `background` option. */
export type Background = 'white' | 'drop';

/** One base emoji as build-data.mjs wrote it. */
export interface HeldOutClass {
  id: number;
  name: string;
  subcategory: string;
  category: string;
  short_names: string[];
  cldr_name: string | null;
  /** The names and keywords its training captions may contain. */
  captions: { names: string[]; keywords: string[] };
  /** OpenMoji's metadata: the evaluation's, never a training caption source. */
  openmoji?: {
    hexcode: string;
    annotation: string;
    tags: string[];
    openmoji_tags: string[];
    white48?: string;
    transparent72?: string;
  };
}

/** An OpenMoji skin-tone or gender variant and its base emoji (the TFUP benchmark's shifted domain). */
export interface Variant {
  hexcode: string;
  annotation: string;
  kind: string;
  base: string;
  subcategory: string;
  image: string;
}

export function requireData(): void {
  if (!existsSync(join(DATA, 'classes.json'))) {
    throw new Error('models/.data is missing: run `npm run build:data` first (about a minute, no Python)');
  }
}

export function loadClasses(): HeldOutClass[] {
  requireData();
  return (JSON.parse(readFileSync(join(DATA, 'classes.json'), 'utf8')) as { classes: HeldOutClass[] })
    .classes;
}

export function loadVariants(): Variant[] {
  requireData();
  return (JSON.parse(readFileSync(join(DATA, 'variants.json'), 'utf8')) as { variants: Variant[] }).variants;
}

/**
 * Per class name, every name and keyword its training captions could contain (build-data.mjs's `captions`); the
 * methods benchmark describes a class only with texts outside this set.
 */
export function trainedTexts(classes: readonly HeldOutClass[]): Map<string, Set<string>> {
  return new Map(classes.map((c) => [c.name, new Set([...c.captions.names, ...c.captions.keywords])]));
}

/** Embeds PNG files through the SDK from their bytes, in batches, with the given alpha handling. */
export async function embedFiles(
  descry: Descry,
  files: readonly string[],
  background: Background,
): Promise<Matrix> {
  const parts: Matrix[] = [];
  for (let i = 0; i < files.length; i += 64) {
    const bytes = await Promise.all(
      files.slice(i, i + 64).map(async (f) => new Uint8Array(await readFile(f))),
    );
    parts.push(await descry.embedImages(bytes, { background }));
  }
  const cols = parts[0]!.cols;
  const data = new Float32Array(files.length * cols);
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  return { rows: files.length, cols, data };
}

/** Rank of the true class (0 = top-1) per image, from ranked label lists. */
export function ranksOf(ranked: readonly (readonly string[])[], truth: readonly string[]): number[] {
  return ranked.map((labels, i) => {
    const r = labels.indexOf(truth[i]!);
    return r < 0 ? Number.POSITIVE_INFINITY : r;
  });
}

/** Deterministic PRNG (mulberry32) so intervals are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Interval {
  value: number;
  low: number;
  high: number;
}

const BOOTSTRAP = 2000;

/**
 * Percent of images with the per-image score 1, and its bootstrap 95% interval (percentile, 2,000 resamples of
 * images); with `baseline`, the paired difference `hits - baseline` resampled on the same images.
 */
export function bootstrap(hits: readonly number[], baseline?: readonly number[]): Interval {
  const n = hits.length;
  const diff = baseline ? hits.map((h, i) => h - baseline[i]!) : hits;
  const mean = (100 * diff.reduce((s, x) => s + x, 0)) / n;
  const rand = prng(12345);
  const stats = new Float64Array(BOOTSTRAP);
  for (let b = 0; b < BOOTSTRAP; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += diff[Math.floor(rand() * n)]!;
    stats[b] = (100 * s) / n;
  }
  stats.sort();
  return {
    value: mean,
    low: stats[Math.floor(0.025 * BOOTSTRAP)]!,
    high: stats[Math.ceil(0.975 * BOOTSTRAP) - 1]!,
  };
}

/** Per-image hits at k from ranks. */
export const hitsAt = (ranks: readonly number[], k: number) => ranks.map((r) => (r < k ? 1 : 0));

export const fmt = (x: Interval, digits = 1) =>
  `${x.value.toFixed(digits)} [${x.low.toFixed(digits)}, ${x.high.toFixed(digits)}]`;
