import { CompiledClassifier, ModelMismatchError } from 'descry';
import { describe, expect, it } from 'vitest';
import type { CalibratedPredictor } from '../../sdk/classifier/calibration.js';

function unitRows(rows: number, cols: number, seed: number): Float32Array {
  const data = new Float32Array(rows * cols);
  let x = seed;
  for (let i = 0; i < data.length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    data[i] = x / 2147483648 - 0.5;
  }
  for (let r = 0; r < rows; r++) {
    const row = data.subarray(r * cols, (r + 1) * cols);
    const norm = Math.hypot(...row);
    for (let i = 0; i < cols; i++) row[i]! /= norm;
  }
  return data;
}

function sample(): CompiledClassifier {
  return new CompiledClassifier({
    labels: ['cat', 'dog', 'red car'],
    templates: ['an emoji of {}'],
    weights: { rows: 3, cols: 8, data: unitRows(3, 8, 1) },
    descriptors: [
      { descriptors: ['whiskers', 'a long tail'], embeddings: { rows: 2, cols: 8, data: unitRows(2, 8, 2) } },
      { descriptors: [], embeddings: { rows: 0, cols: 8, data: new Float32Array() } },
      { descriptors: ['four wheels'], embeddings: { rows: 1, cols: 8, data: unitRows(1, 8, 3) } },
    ],
    fingerprint: 'a'.repeat(64),
    model: 'test-model',
  });
}

describe('compiled classifier format', () => {
  it('round-trips float32 exactly', () => {
    const original = sample();
    const loaded = CompiledClassifier.fromBytes(original.toBytes('float32'), 'a'.repeat(64));
    expect(loaded.labels).toEqual(original.labels);
    expect(loaded.templates).toEqual(original.templates);
    expect(loaded.weights.data).toEqual(original.weights.data);
    expect(loaded.descriptorMap).toEqual({
      cat: ['whiskers', 'a long tail'],
      dog: [],
      'red car': ['four wheels'],
    });
    expect(loaded.descriptors[0]!.embeddings.data).toEqual(original.descriptors[0]!.embeddings.data);
    expect(loaded.descriptors[2]!.embeddings.rows).toBe(1);
  });

  it('round-trips float16 within half precision, at half the size', () => {
    const original = sample();
    const half = original.toBytes('float16');
    const full = original.toBytes('float32');
    const loaded = CompiledClassifier.fromBytes(half);
    const values = original.weights.data.length + 3 * 8;
    expect(full.byteLength - half.byteLength).toBe(values * 2);
    const worst = original.weights.data.reduce(
      (m, v, i) => Math.max(m, Math.abs(loaded.weights.data[i]! - v)),
      0,
    );
    expect(worst).toBeLessThan(1e-3);
  });

  it('refuses a classifier compiled for another model', () => {
    const bytes = sample().toBytes();
    expect(() => CompiledClassifier.fromBytes(bytes, 'b'.repeat(64))).toThrow(ModelMismatchError);
    try {
      CompiledClassifier.fromBytes(bytes, 'b'.repeat(64));
    } catch (error) {
      expect((error as ModelMismatchError).code).toBe('model_mismatch');
      expect((error as Error).message).toMatch(/compiled for model test-model/);
    }
  });

  it.each([
    ['empty', new Uint8Array()],
    ['wrong magic', new TextEncoder().encode('PK\u0003\u0004 not a classifier at all')],
    ['truncated', sample().toBytes().subarray(0, 40)],
    [
      'one byte short',
      sample()
        .toBytes()
        .subarray(0, sample().toBytes().byteLength - 1),
    ],
  ])('rejects %s bytes with classifier_format_invalid', (_, bytes) => {
    expect(() => CompiledClassifier.fromBytes(bytes)).toThrow(
      expect.objectContaining({ code: 'classifier_format_invalid' }),
    );
  });

  it('rejects a future format version', () => {
    const bytes = sample().toBytes();
    new DataView(bytes.buffer).setUint16(8, 99, true);
    expect(() => CompiledClassifier.fromBytes(bytes)).toThrow(/unsupported format version 99/);
  });
});

/** A version-1 file written byte by byte from the format's spec, independent of the encoder. */
function handWrittenVersion1(): Uint8Array {
  const header = new TextEncoder().encode(
    JSON.stringify({
      fingerprint: 'a'.repeat(64),
      model: 'old-model',
      dim: 2,
      labels: ['cat', 'dog'],
      templates: ['{}'],
      descriptors: { cat: ['whiskers'], dog: [] },
      descriptorTemplate: '{class}, {clause}',
      created: '2024-01-01T00:00:00.000Z',
    }),
  );
  const dataOffset = (16 + header.byteLength + 3) & ~3;
  const values = [1, 0, 0, 1, 0.6, 0.8];
  const bytes = new Uint8Array(dataOffset + values.length * 4);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode('DESCRYC\0'), 0);
  view.setUint16(8, 1, true);
  view.setUint8(10, 1);
  view.setUint32(12, header.byteLength, true);
  bytes.set(header, 16);
  values.forEach((v, i) => {
    view.setFloat32(dataOffset + 4 * i, v, true);
  });
  return bytes;
}

function withSubclasses(): CompiledClassifier {
  return sample().withSubclasses(
    [
      { subclasses: ['tabby', 'siamese'], embeddings: { rows: 2, cols: 8, data: unitRows(2, 8, 4) } },
      { subclasses: [], embeddings: { rows: 0, cols: 8, data: new Float32Array() } },
      { subclasses: ['sedan'], embeddings: { rows: 1, cols: 8, data: unitRows(1, 8, 5) } },
    ],
    ['a photo of a {}'],
  );
}

/** A zero-shot calibration of `classifier` with a hand-set threshold and its real fingerprint. */
function calibration(
  classifier: CompiledClassifier,
  predictor: CalibratedPredictor = { method: 'zeroshot' },
) {
  return {
    alpha: 0.1,
    method: 'lac' as const,
    threshold: 0.73,
    n: 50,
    rank: 46,
    predictor,
    weightsFingerprint: classifier.calibrationFingerprint(predictor),
    created: '2025-01-01T00:00:00.000Z',
  };
}

/** `bytes` with `from` replaced by `to` (same length) inside the JSON header. */
function patchHeader(bytes: Uint8Array, from: string, to: string): Uint8Array {
  expect(to.length).toBe(from.length);
  const text = new TextDecoder('latin1').decode(bytes);
  const at = text.indexOf(from);
  expect(at).toBeGreaterThan(0);
  const out = bytes.slice();
  out.set(new TextEncoder().encode(to), at);
  return out;
}

describe('compiled classifier format, version 2: subclasses and calibration', () => {
  it('still loads a version-1 file', () => {
    const loaded = CompiledClassifier.fromBytes(handWrittenVersion1(), 'a'.repeat(64));
    expect(loaded.labels).toEqual(['cat', 'dog']);
    expect(Array.from(loaded.weights.data)).toEqual([1, 0, 0, 1]);
    expect(loaded.descriptorMap).toEqual({ cat: ['whiskers'], dog: [] });
    expect(Array.from(loaded.descriptors[0]!.embeddings.data)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(loaded.hasSubclasses).toBe(false);
    expect(loaded.calibration).toBeUndefined();
  });

  it('writes version 1 while there are no subclasses and no calibration, version 2 otherwise', () => {
    const version = (bytes: Uint8Array) => new DataView(bytes.buffer).getUint16(8, true);
    expect(version(sample().toBytes())).toBe(1);
    expect(version(withSubclasses().toBytes())).toBe(2);
    expect(version(sample().withCalibration(calibration(sample())).toBytes())).toBe(2);
  });

  it('round-trips subclasses (float32 exactly, float16 within half precision)', () => {
    const original = withSubclasses();
    const loaded = CompiledClassifier.fromBytes(original.toBytes('float32'), 'a'.repeat(64));
    expect(loaded.subclassMap).toEqual({ cat: ['tabby', 'siamese'], 'red car': ['sedan'] });
    expect(loaded.subclassTemplates).toEqual(['a photo of a {}']);
    expect(loaded.subclasses.map((s) => s.embeddings.rows)).toEqual([2, 0, 1]);
    expect(loaded.subclasses[0]!.embeddings.data).toEqual(original.subclasses[0]!.embeddings.data);
    expect(loaded.subclasses[2]!.embeddings.data).toEqual(original.subclasses[2]!.embeddings.data);
    expect(loaded.descriptorMap).toEqual(original.descriptorMap);
    const half = CompiledClassifier.fromBytes(original.toBytes('float16'));
    half.subclasses[0]!.embeddings.data.forEach((v, i) => {
      expect(Math.abs(v - original.subclasses[0]!.embeddings.data[i]!)).toBeLessThan(1e-3);
    });
  });

  it('round-trips a calibration, in float16 too: its fingerprint is of the float16-rounded weights', () => {
    const original = withSubclasses();
    const cal = calibration(original, { method: 'subclasses', reweight: true, includeLabel: false });
    const calibrated = original.withCalibration(cal);
    for (const dtype of ['float32', 'float16'] as const) {
      const loaded = CompiledClassifier.fromBytes(calibrated.toBytes(dtype), 'a'.repeat(64));
      expect(loaded.calibration).toEqual(cal);
    }
  });

  it('refuses a calibration for other weights, in memory and in a file', () => {
    const cal = calibration(sample());
    const other = new CompiledClassifier({
      labels: ['cat', 'dog', 'red car'],
      templates: ['{}'],
      weights: { rows: 3, cols: 8, data: unitRows(3, 8, 9) },
      fingerprint: 'a'.repeat(64),
      model: 'test-model',
    });
    expect(() => other.withCalibration(cal)).toThrow(expect.objectContaining({ code: 'model_mismatch' }));
    const bytes = sample().withCalibration(cal).toBytes();
    const digits = String(cal.weightsFingerprint);
    const changed = (digits[0] === '1' ? '2' : '1') + digits.slice(1);
    expect(() =>
      CompiledClassifier.fromBytes(
        patchHeader(bytes, `"weightsFingerprint":${digits}`, `"weightsFingerprint":${changed}`),
      ),
    ).toThrow(ModelMismatchError);
    // A subclass calibration does not survive new subclasses; a zero-shot one does.
    const subCal = calibration(withSubclasses(), {
      method: 'subclasses',
      reweight: true,
      includeLabel: false,
    });
    const resubclassed = withSubclasses()
      .withCalibration(subCal)
      .withSubclasses(
        [
          { subclasses: ['lion'], embeddings: { rows: 1, cols: 8, data: unitRows(1, 8, 6) } },
          { subclasses: [], embeddings: { rows: 0, cols: 8, data: new Float32Array() } },
          { subclasses: [], embeddings: { rows: 0, cols: 8, data: new Float32Array() } },
        ],
        ['{}'],
      );
    expect(resubclassed.calibration).toBeUndefined();
    expect(
      sample().withCalibration(cal).withSubclasses(withSubclasses().subclasses, ['{}']).calibration,
    ).toEqual(cal);
  });

  it.each([
    ['an unknown conformal method', '"method":"lac"', '"method":"xyz"'],
    ['an unknown predictor', '"method":"zeroshot"', '"method":"zeroshoT"'],
    ['a rank above n', '"rank":46', '"rank":96'],
  ])('rejects a calibration with %s as classifier_format_invalid', (_, from, to) => {
    const bytes = sample().withCalibration(calibration(sample())).toBytes();
    expect(() => CompiledClassifier.fromBytes(patchHeader(bytes, from, to))).toThrow(
      expect.objectContaining({ code: 'classifier_format_invalid' }),
    );
  });

  it('rejects version-2 fields in a version-1 file and subclasses of unknown labels', () => {
    const bytes = withSubclasses().toBytes();
    new DataView(bytes.buffer).setUint16(8, 1, true);
    expect(() => CompiledClassifier.fromBytes(bytes)).toThrow(/version-1 header with version-2 fields/);
    const unknown = patchHeader(withSubclasses().toBytes(), '"subclasses":{"cat"', '"subclasses":{"cow"');
    expect(() => CompiledClassifier.fromBytes(unknown)).toThrow(
      expect.objectContaining({ code: 'classifier_format_invalid' }),
    );
    const repeated = patchHeader(withSubclasses().toBytes(), '"tabby","siamese"', '"tabby","tabby  "');
    expect(() => CompiledClassifier.fromBytes(repeated)).toThrow(
      expect.objectContaining({ code: 'classifier_format_invalid' }),
    );
    const future = withSubclasses().toBytes();
    new DataView(future.buffer).setUint16(8, 3, true);
    expect(() => CompiledClassifier.fromBytes(future)).toThrow(/unsupported format version 3/);
  });
});
