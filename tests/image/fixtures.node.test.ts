/**
 * Decode + preprocess every fixture image and compare with the tensors PIL produced
 * (models/fixtures/make_preprocess_fixtures.py re-implements transformers' processors on PIL).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toRgba } from '../../sdk/image/input.js';
import { parsePreprocessorConfig, preprocess, preprocessedSize } from '../../sdk/image/preprocess.js';

const dir = new URL('../fixtures/preprocess/', import.meta.url);

interface Manifest {
  configs: Record<string, unknown>;
  images: { file: string; width: number; height: number; mode: string }[];
  cases: { image: string; config: string; expected: string; shape: [number, number, number] }[];
}

const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as Manifest;

function readExpected(name: string): Float32Array {
  const bytes = readFileSync(new URL(`expected/${name}`, dir));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function absDiff(a: Float32Array, b: Float32Array): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs((a[i] ?? 0) - (b[i] ?? Number.NaN));
    max = Math.max(max, diff);
    sum += diff;
  }
  return { max, mean: sum / a.length };
}

/**
 * Every format must match PIL to the bit: PNG and WebP decode with the same libraries as PIL, and
 * JPEG with MozJPEG's libjpeg-turbo (wasm), whose IDCT and chroma upsampling are PIL's. (Before,
 * jpeg-js was up to 0.67 off after CLIP normalisation on the 4:2:0 photo: 80 levels at chroma edges.)
 */
const TOLERANCE = { max: 0, mean: 0 };

describe('preprocessing matches PIL + transformers on the fixtures', () => {
  it('has at least ten images and every case listed', () => {
    expect(manifest.images.length).toBeGreaterThanOrEqual(10);
    expect(manifest.cases.length).toBeGreaterThan(manifest.images.length);
  });

  for (const image of manifest.images) {
    it(`decodes ${image.file} to ${image.width}x${image.height}`, async () => {
      const rgba = await toRgba(readFileSync(new URL(image.file, dir)));
      expect([rgba.width, rgba.height]).toEqual([image.width, image.height]);
    });
  }

  for (const fixture of manifest.cases) {
    it(`${fixture.image} with ${fixture.config}`, async () => {
      const rgba = await toRgba(readFileSync(new URL(fixture.image, dir)));
      const config = parsePreprocessorConfig(manifest.configs[fixture.config]);
      const [, height, width] = fixture.shape;
      expect(preprocessedSize(rgba.width, rgba.height, config)).toEqual({ width, height });
      const actual = preprocess(rgba, config);
      const expected = readExpected(fixture.expected);
      expect(actual.length).toBe(expected.length);
      const diff = absDiff(actual, expected);
      console.info(`|diff| ${fixture.image} ${fixture.config}: max ${diff.max} mean ${diff.mean}`);
      expect(diff.max).toBeLessThanOrEqual(TOLERANCE.max);
      expect(diff.mean).toBeLessThanOrEqual(TOLERANCE.mean);
    });
  }
});
