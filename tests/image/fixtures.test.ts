/**
 * Decode + preprocess every fixture image and compare with the tensors PIL produced
 * (models/fixtures/make_preprocess_fixtures.py re-implements transformers' processors on PIL), in
 * Node and inside workerd: the kernels and decoders must be Pillow-exact in every runtime.
 */
// Node's entry point installs what decoding takes from Node (the decoders' .wasm, native zlib).
import 'descry';
import { describe, expect, it } from 'vitest';
import type { ImageBackground } from '../../sdk/image/background.js';
import { toRgba } from '../../sdk/image/input.js';
import {
  minimumDecodeSize,
  parsePreprocessorConfig,
  preprocess,
  preprocessedSize,
} from '../../sdk/image/preprocess.js';
import { fixtureBytes } from './support/preprocess-fixtures.js';

interface Manifest {
  configs: Record<string, unknown>;
  images: { file: string; width: number; height: number; mode: string }[];
  cases: {
    image: string;
    config: string;
    background: ImageBackground;
    /** Decoded at a reduced DCT scale, as Pillow's draft() does, to this size. */
    draft?: { scale: number; decoded: [number, number] };
    expected: string;
    shape: [number, number, number];
  }[];
  composites: { image: string; background: ImageBackground; expected: string }[];
  decodes: { image: string; expected: string }[];
}

const manifest = JSON.parse(new TextDecoder().decode(fixtureBytes('manifest.json'))) as Manifest;

function readExpected(name: string): Float32Array {
  const bytes = fixtureBytes(`expected/${name}`);
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
      const rgba = await toRgba(fixtureBytes(image.file));
      expect([rgba.width, rgba.height]).toEqual([image.width, image.height]);
    });
  }

  it('flattens transparent pixels onto a colour with Pillow-exact arithmetic on every value and alpha', () => {
    expect(manifest.composites.length).toBeGreaterThanOrEqual(3);
    expect(manifest.cases.filter((c) => c.background !== 'drop').length).toBeGreaterThanOrEqual(10);
  });

  for (const fixture of manifest.cases) {
    const draft = fixture.draft ? `, DCT scale 1/${fixture.draft.scale}` : '';
    it(`${fixture.image} with ${fixture.config}, background ${fixture.background}${draft}`, async () => {
      const config = parsePreprocessorConfig(manifest.configs[fixture.config]);
      // Draft cases decode as Descry does for that model (reduced JPEGs); the others at full size.
      const minSize = fixture.draft ? minimumDecodeSize(config) : undefined;
      const rgba = await toRgba(fixtureBytes(fixture.image), { minSize });
      if (fixture.draft) expect([rgba.width, rgba.height]).toEqual(fixture.draft.decoded);
      const [, height, width] = fixture.shape;
      expect(preprocessedSize(rgba.width, rgba.height, config)).toEqual({ width, height });
      const actual = preprocess(rgba, config, { background: fixture.background });
      const expected = readExpected(fixture.expected);
      expect(actual.length).toBe(expected.length);
      const diff = absDiff(actual, expected);
      console.info(
        `|diff| ${fixture.image} ${fixture.config} ${fixture.background}: max ${diff.max} mean ${diff.mean}`,
      );
      expect(diff.max).toBeLessThanOrEqual(TOLERANCE.max);
      expect(diff.mean).toBeLessThanOrEqual(TOLERANCE.mean);
    });
  }

  // No resize, rescale or normalisation: the tensor holds the flattened 0..255 levels themselves.
  const identity = parsePreprocessorConfig({
    do_resize: false,
    do_center_crop: false,
    do_rescale: false,
    do_normalize: false,
  });
  for (const composite of manifest.composites) {
    it(`${composite.image} flattened onto ${composite.background} equals Image.alpha_composite`, async () => {
      const rgba = await toRgba(fixtureBytes(composite.image));
      const expected = await toRgba(fixtureBytes(`expected/${composite.expected}`));
      const plane = rgba.width * rgba.height;
      const actual = preprocess(rgba, identity, { background: composite.background });
      let max = 0;
      let transparentChanged = 0;
      for (let p = 0; p < plane; p++) {
        for (let c = 0; c < 3; c++) {
          const level = actual[c * plane + p] ?? Number.NaN;
          max = Math.max(max, Math.abs(level - (expected.data[p * 4 + c] ?? 0)));
          if (rgba.data[p * 4 + 3] === 0 && level !== rgba.data[p * 4 + c]) transparentChanged++;
        }
      }
      expect(max).toBe(0);
      // The background really was applied: fully transparent pixels no longer show their stored colour.
      expect(transparentChanged).toBeGreaterThan(0);
    });
  }

  // Sub-byte depths, 16 bits, Adam7, tRNS keys and every filter type, against PIL's convert('RGBA').
  for (const decoded of manifest.decodes) {
    it(`decodes ${decoded.image} to the RGBA pixels PIL gives`, async () => {
      const actual = await toRgba(fixtureBytes(decoded.image));
      const expected = await toRgba(fixtureBytes(`expected/${decoded.expected}`));
      expect([actual.width, actual.height]).toEqual([expected.width, expected.height]);
      let mismatches = 0;
      for (let i = 0; i < actual.data.length; i++) if (actual.data[i] !== expected.data[i]) mismatches++;
      expect(mismatches).toBe(0);
    });
  }
});
