import { CompiledClassifier, ModelMismatchError } from 'descry';
import { describe, expect, it } from 'vitest';

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
