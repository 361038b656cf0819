import type { RgbaImage } from 'descry';
import { InvalidInputError, ModelLoadError } from 'descry';
import { describe, expect, it } from 'vitest';
import { centerCrop } from '../../sdk/image/crop.js';
import {
  parsePreprocessorConfig,
  preprocess,
  preprocessBatch,
  preprocessedSize,
  resizedSize,
} from '../../sdk/image/preprocess.js';
import { CLIP_MEAN, CLIP_STD } from '../../sdk/image/preprocessor-config.js';
import { expectDescryError } from './expect-error.js';

const clipConfig = {
  image_processor_type: 'CLIPImageProcessor',
  size: { shortest_edge: 8 },
  crop_size: { height: 8, width: 8 },
  do_center_crop: true,
  resample: 3,
};

function image(width: number, height: number, fill: (x: number, y: number, c: number) => number): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 4; c++) data[(y * width + x) * 4 + c] = fill(x, y, c);
    }
  }
  return { width, height, data };
}

describe('parsePreprocessorConfig', () => {
  it('applies CLIPImageProcessor defaults to an empty config', () => {
    const config = parsePreprocessorConfig({});
    expect(config).toMatchObject({
      processor: 'clip',
      resize: { mode: 'shortestEdge', shortestEdge: 224 },
      resample: 3,
      crop: { height: 224, width: 224 },
      normalize: { mean: [...CLIP_MEAN], std: [...CLIP_STD] },
      cropHeight: 224,
      cropWidth: 224,
    });
    expect(config.rescaleFactor).toBeCloseTo(1 / 255, 12);
  });

  it('applies SiglipImageProcessor defaults: square resize, no crop, mean/std 0.5', () => {
    const config = parsePreprocessorConfig({ image_processor_type: 'SiglipImageProcessor', size: 384 });
    expect(config).toMatchObject({
      processor: 'siglip',
      resize: { mode: 'exact', height: 384, width: 384 },
      crop: undefined,
      normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
      cropHeight: 384,
      cropWidth: 384,
    });
  });

  it('reads legacy int sizes (feature extractor configs) as shortest edge and square crop', () => {
    const config = parsePreprocessorConfig({
      feature_extractor_type: 'CLIPFeatureExtractor',
      size: 256,
      crop_size: 240,
    });
    expect(config.resize).toEqual({ mode: 'shortestEdge', shortestEdge: 256 });
    expect(config.crop).toEqual({ height: 240, width: 240 });
  });

  it('honours do_resize, do_center_crop, do_rescale and do_normalize set to false', () => {
    const config = parsePreprocessorConfig({
      do_resize: false,
      do_center_crop: false,
      do_rescale: false,
      do_normalize: false,
    });
    expect(config).toMatchObject({
      resize: undefined,
      crop: undefined,
      rescaleFactor: undefined,
      normalize: undefined,
    });
  });

  it('rejects malformed or unsupported configs with model_config_invalid', async () => {
    for (const bad of [
      null,
      'config',
      { size: { shortest_edge: -1 } },
      { size: { height: 224 } },
      { crop_size: 'big' },
      { image_mean: [0.5, 0.5] },
      { image_std: [0, 1, 1] },
      { resample: 6 },
      { do_resize: 'yes' },
    ]) {
      await expectDescryError(() => parsePreprocessorConfig(bad), ModelLoadError, 'model_config_invalid');
    }
  });
});

describe('sizes follow transformers', () => {
  const config = parsePreprocessorConfig({ size: { shortest_edge: 224 }, crop_size: 224 });

  it('truncates the long side of a shortest-edge resize: int(224 * long / short)', () => {
    expect(resizedSize(500, 333, config)).toEqual({ width: Math.trunc((224 * 500) / 333), height: 224 });
    expect(resizedSize(333, 500, config)).toEqual({ width: 224, height: 336 });
    expect(resizedSize(300, 300, config)).toEqual({ width: 224, height: 224 });
    expect(preprocessedSize(500, 333, config)).toEqual({ width: 224, height: 224 });
  });

  it('centre-crops with floor offsets and zero-pads crops larger than the image', () => {
    const src = { width: 5, height: 3, channels: 1, data: Uint8Array.from({ length: 15 }, (_, i) => i + 1) };
    // top = (3 - 2) // 2 = 0, left = (5 - 2) // 2 = 1
    expect(Array.from(centerCrop(src, 2, 2).data)).toEqual([2, 3, 7, 8]);
    // Larger than the image: top = (3 - 4) // 2 = -1, left = (5 - 6) // 2 = -1.
    const padded = centerCrop(src, 4, 6);
    expect(Array.from(padded.data)).toEqual([
      0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10, 0, 11, 12, 13, 14, 15,
    ]);
  });
});

describe('preprocess', () => {
  const config = parsePreprocessorConfig(clipConfig);

  it('returns CHW float32 with (v/255 - mean) / std per channel', () => {
    const flat = image(8, 8, (_x, _y, c) => [10, 128, 250, 255][c] ?? 0);
    const out = preprocess(flat, config);
    expect(out).toBeInstanceOf(Float32Array);
    expect(out.length).toBe(3 * 8 * 8);
    [10, 128, 250].forEach((level, c) => {
      const expected = (level / 255 - (CLIP_MEAN[c] ?? 0)) / (CLIP_STD[c] ?? 1);
      for (let p = 0; p < 64; p++) expect(out[c * 64 + p]).toBeCloseTo(expected, 5);
    });
  });

  it("with background 'drop', ignores alpha like PIL convert('RGB')", () => {
    const opaque = image(13, 9, (x, y, c) => (c === 3 ? 255 : (x * 31 + y * 17 + c * 50) % 256));
    const translucent = image(13, 9, (x, y, c) =>
      c === 3 ? (x * 19) % 256 : (x * 31 + y * 17 + c * 50) % 256,
    );
    const drop = { background: 'drop' } as const;
    expect(Array.from(preprocess(translucent, config, drop))).toEqual(Array.from(preprocess(opaque, config)));
    expect(Array.from(preprocess(translucent, config))).not.toEqual(Array.from(preprocess(opaque, config)));
  });

  it('flattens onto white by default, and onto any colour given by name, hex or triple', () => {
    const flat = (rgb: readonly number[]) => image(8, 8, (_x, _y, c) => (c === 3 ? 255 : (rgb[c] ?? 0)));
    // Fully transparent pixels whose stored colour is (10, 20, 30).
    const clear = image(8, 8, (_x, _y, c) => [10, 20, 30, 0][c] ?? 0);
    const tensor = (img: RgbaImage, options?: Parameters<typeof preprocess>[2]) =>
      Array.from(preprocess(img, config, options));
    expect(tensor(clear)).toEqual(tensor(flat([255, 255, 255])));
    expect(tensor(clear, { background: 'white' })).toEqual(tensor(flat([255, 255, 255])));
    expect(tensor(clear, { background: 'black' })).toEqual(tensor(flat([0, 0, 0])));
    expect(tensor(clear, { background: 'drop' })).toEqual(tensor(flat([10, 20, 30])));
    expect(tensor(clear, { background: '#3c8' })).toEqual(tensor(flat([0x33, 0xcc, 0x88])));
    expect(tensor(clear, { background: '#33CC88' })).toEqual(tensor(flat([0x33, 0xcc, 0x88])));
    expect(tensor(clear, { background: [1, 2, 3] })).toEqual(tensor(flat([1, 2, 3])));
    // Half transparent: Pillow's rounding of (fg * a + bg * (255 - a)) / 255.
    const half = image(8, 8, (_x, _y, c) => [200, 0, 101, 128][c] ?? 0);
    expect(tensor(half, { background: 'white' })).toEqual(
      tensor(
        flat([Math.round((200 * 128 + 255 * 127) / 255), 127, Math.round((101 * 128 + 255 * 127) / 255)]),
      ),
    );
  });

  it('refuses a background that is not a colour, a hex colour, a triple or drop', async () => {
    const opaque = image(8, 8, () => 255);
    for (const background of [
      'pink',
      '#12',
      '#1234567',
      'rgb(1,2,3)',
      '',
      [1, 2],
      [0, 0, 256],
      [0.5, 0, 0],
      {},
    ]) {
      await expectDescryError(
        () => preprocess(opaque, config, { background: background as never }),
        InvalidInputError,
        'invalid_input',
      );
      await expectDescryError(
        () => preprocessBatch([opaque], config, { background: background as never }),
        InvalidInputError,
        'invalid_input',
      );
    }
  });

  it('keeps the channel order R, G, B', () => {
    const red = preprocess(
      image(8, 8, (_x, _y, c) => (c === 0 || c === 3 ? 255 : 0)),
      config,
    );
    expect(red[0]).toBeGreaterThan(1);
    expect(red[64]).toBeLessThan(-1);
    expect(red[128]).toBeLessThan(-1);
  });

  it('rejects an RGBA buffer of the wrong length with invalid_input', async () => {
    const bad = { width: 4, height: 4, data: new Uint8Array(4 * 4 * 3) };
    await expectDescryError(() => preprocess(bad, config), InvalidInputError, 'invalid_input');
  });

  it('resizes a reduced decode from the box its full image covers, and refuses one that does not fit', async () => {
    const reduced = image(
      13,
      9,
      (x, y, c) => [(x * 19) % 256, (y * 29) % 256, ((x + y) * 7) % 256, 255][c] ?? 0,
    );
    const plain = preprocess(reduced, config);
    // 100x70 at 1/8 is 13x9, its last column and row only partly covered: resampled differently.
    const mapped = preprocess({ ...reduced, reducedFrom: { width: 100, height: 70, scale: 8 } }, config);
    expect(mapped.length).toBe(plain.length);
    expect(Array.from(mapped)).not.toEqual(Array.from(plain));
    // 104x72 at 1/8 covers it exactly: the same tensor as without reducedFrom.
    const exact = preprocess({ ...reduced, reducedFrom: { width: 104, height: 72, scale: 8 } }, config);
    expect(Array.from(exact)).toEqual(Array.from(plain));
    for (const reducedFrom of [
      { width: 120, height: 70, scale: 8 },
      { width: 100, height: 70, scale: 0 },
      { width: 100, height: 70, scale: 7.5 },
    ]) {
      await expectDescryError(
        () => preprocess({ ...reduced, reducedFrom }, config),
        InvalidInputError,
        'invalid_input',
      );
    }
  });
});

describe('preprocessBatch', () => {
  const config = parsePreprocessorConfig(clipConfig);
  const a = image(20, 10, (x, y, c) => (x * 7 + y * 3 + c * 40) % 256);
  const b = image(9, 30, (x, y, c) => (x * 11 + y * 5 + c * 90) % 256);

  it('stacks [N, 3, H, W] in input order, each equal to preprocess alone', () => {
    const batch = preprocessBatch([a, b], config);
    expect(batch.dims).toEqual([2, 3, 8, 8]);
    const plane = 3 * 8 * 8;
    expect(Array.from(batch.data.subarray(0, plane))).toEqual(Array.from(preprocess(a, config)));
    expect(Array.from(batch.data.subarray(plane))).toEqual(Array.from(preprocess(b, config)));
  });

  it('refuses an empty batch and mixed output sizes with invalid_input', async () => {
    await expectDescryError(() => preprocessBatch([], config), InvalidInputError, 'invalid_input');
    const noCrop = parsePreprocessorConfig({ ...clipConfig, do_center_crop: false });
    await expectDescryError(() => preprocessBatch([a, b], noCrop), InvalidInputError, 'invalid_input');
  });
});
