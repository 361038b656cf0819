/**
 * The memory budget's parts on the embedded model's ONNX files, in Node and in workerd: the ONNX
 * reader (declared inputs and outputs, weights by type, a file cut anywhere named as truncated),
 * the shape walk (the largest activation of the vision encoder at its input size), and the ledger
 * (an encoder admitted within its budget, refused with model_too_large naming what it needs over
 * it, refused again without being read, an encoder for another input size refused as
 * model_config_invalid). The photo-scale case runs in tests/worker/edge-model.workerd.test.ts.
 */
import {
  bytesSource,
  Descry,
  estimateEncoderMemory,
  type ModelFiles,
  ModelLoadError,
  readOnnxSummary,
} from 'descry';
import { describe, expect, it } from 'vitest';
import config from '../../models/emoji-clip/config.json' with { type: 'json' };
import textModel from '../../models/emoji-clip/onnx/text_model.onnx';
import visionModel from '../../models/emoji-clip/onnx/vision_model.onnx';
import preprocessorConfig from '../../models/emoji-clip/preprocessor_config.json' with { type: 'json' };
import { activationSize } from '../../sdk/engine/activation-size.js';
import { budgetedModelFile, MemoryLedger, ORT_WASM_INITIAL_BYTES } from '../../sdk/engine/memory-budget.js';

const vision = new Uint8Array(visionModel as ArrayBuffer);
const MiB = 2 ** 20;
const SIDE = preprocessorConfig.crop_size.height;

function thrown(work: () => unknown): ModelLoadError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelLoadError);
    return error as ModelLoadError;
  }
  throw new Error('expected a ModelLoadError');
}

describe('the ONNX reader', () => {
  it("reads the vision encoder's declared input and output and its float32 weights", () => {
    const summary = readOnnxSummary(vision, 'onnx/vision_model.onnx');
    expect(summary.inputs).toEqual([
      { name: 'pixel_values', elemType: 1, dims: ['batch_size', 3, SIDE, SIDE] },
    ]);
    expect(summary.outputs.map((o) => o.name)).toContain('image_embeds');
    const float32 = summary.weightBytes.get(1) ?? 0;
    expect(float32).toBeGreaterThan(0.9 * vision.byteLength);
    expect(float32).toBeLessThanOrEqual(vision.byteLength);
  });

  it('names a file cut anywhere as truncated', () => {
    for (const fraction of [0.001, 0.1, 0.5, 0.9, 0.999]) {
      const cut = vision.subarray(0, Math.floor(vision.byteLength * fraction));
      const error = thrown(() => readOnnxSummary(cut, 'onnx/vision_model.onnx'));
      expect(error.code).toBe('model_load_failed');
      expect(error.message).toMatch(/onnx\/vision_model\.onnx is truncated/);
      expect(error.details?.truncated).toBe(true);
    }
  });

  it('refuses bytes that are not an ONNX model', () => {
    const error = thrown(() => readOnnxSummary(new TextEncoder().encode('{"not": "onnx"}'), 'x.onnx'));
    expect(error.code).toBe('model_load_failed');
    expect(error.details?.truncated).toBe(false);
  });
});

describe('the shape walk', () => {
  it('sizes every tensor of the vision encoder and finds its largest activation', () => {
    const summary = readOnnxSummary(vision, 'onnx/vision_model.onnx');
    const sizes = activationSize(summary, { pixel_values: [1, 3, SIDE, SIDE] });
    expect(sizes.unknownOps).toEqual([]);
    expect(sizes.outputs.image_embeds).toEqual([1, config.projection_dim]);
    // The stem's first convolution: 16 channels at half the input size.
    expect(sizes.largest?.op).toBe('Conv');
    expect(sizes.largestElements).toBe(16 * (SIDE / 2) ** 2);
    // Four images a run: four times the activations.
    expect(activationSize(summary, { pixel_values: [4, 3, SIDE, SIDE] }).largestElements).toBe(
      4 * sizes.largestElements,
    );
  });
});

/** `files` with a count of the reads of each path. */
function counted(files: ModelFiles): { files: ModelFiles; reads: Map<string, number> } {
  const reads = new Map<string, number>();
  return {
    reads,
    files: {
      ...files,
      id: files.id,
      read(path) {
        reads.set(path, (reads.get(path) ?? 0) + 1);
        return files.read(path);
      },
    },
  };
}

describe('the memory ledger', () => {
  const contract = {
    inputShapes: { pixel_values: [1, 3, SIDE, SIDE] },
    checkedInput: 'pixel_values',
    source: 'preprocessor_config.json',
  };

  it('admits an encoder within its budget, and counts what it holds against the next one', async () => {
    const estimate = estimateEncoderMemory(
      readOnnxSummary(vision, 'v'),
      vision.byteLength,
      contract.inputShapes,
      true,
    );
    // Its own start, at least three copies of the file, the file in JavaScript.
    expect(estimate.totalBytes).toBeGreaterThanOrEqual(ORT_WASM_INITIAL_BYTES + 4 * vision.byteLength);
    const ledger = new MemoryLedger({ limitBytes: estimate.totalBytes + 4 * MiB });
    const file = budgetedModelFile(
      bytesSource({ 'onnx/vision_model.onnx': vision }),
      'onnx/vision_model.onnx',
      ledger,
      contract,
    );
    expect(await file.bytes()).toBe(vision);
    expect(ledger.availableBytes()).toBeLessThan(4 * MiB + estimate.fileBytes + 1);
    const text = budgetedModelFile(
      bytesSource({ 'onnx/text_model.onnx': new Uint8Array(textModel as ArrayBuffer) }),
      'onnx/text_model.onnx',
      ledger,
      {},
    );
    const error = await text.bytes().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as ModelLoadError).code).toBe('model_too_large');
    expect((error as ModelLoadError).message).toMatch(/held by encoders already loaded/);
  });

  it('refuses an encoder over its budget with what it needs, then again without reading it', async () => {
    const { files, reads } = counted(bytesSource({ 'onnx/vision_model.onnx': vision }));
    // 64 images a run: the activations, not the file, put it over (the file alone would fit).
    const ledger = new MemoryLedger({ limitBytes: 28 * MiB, reservedBytes: 4 * MiB });
    const file = budgetedModelFile(files, 'onnx/vision_model.onnx', ledger, {
      ...contract,
      inputShapes: { pixel_values: [64, 3, SIDE, SIDE] },
    });
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = (await file.bytes().then(
        () => undefined,
        (e: unknown) => e,
      )) as ModelLoadError;
      expect(error).toBeInstanceOf(ModelLoadError);
      expect(error.code).toBe('model_too_large');
      expect(error.message).toMatch(
        /needs about \d+\.\d MiB .*activations.*more than the 24\.0 MiB available \(28\.0 MiB less 4\.0 MiB reserved\)/,
      );
      const details = error.details as { needBytes: number; availableBytes: number; fileBytes: number };
      expect(details.needBytes).toBeGreaterThan(details.availableBytes);
      expect(details.fileBytes).toBe(vision.byteLength);
    }
    expect(reads.get('onnx/vision_model.onnx')).toBe(1);
  });

  it('refuses a file too large to fit from its size, before reading it', async () => {
    const { files, reads } = counted(bytesSource({ 'onnx/vision_model.onnx': vision }));
    const ledger = new MemoryLedger({ limitBytes: ORT_WASM_INITIAL_BYTES + 2 * vision.byteLength });
    const error = (await budgetedModelFile(files, 'onnx/vision_model.onnx', ledger, contract)
      .bytes()
      .catch((e: unknown) => e)) as ModelLoadError;
    expect(error.code).toBe('model_too_large');
    expect(reads.size).toBe(0);
  });

  it('refuses an encoder for another input size than the configuration says', async () => {
    const ledger = new MemoryLedger({ limitBytes: 1e9 });
    const file = budgetedModelFile(
      bytesSource({ 'onnx/vision_model.onnx': vision }),
      'onnx/vision_model.onnx',
      ledger,
      {
        ...contract,
        inputShapes: { pixel_values: [1, 3, 224, 224] },
      },
    );
    const error = (await file.bytes().catch((e: unknown) => e)) as ModelLoadError;
    expect(error.code).toBe('model_config_invalid');
    expect(error.message).toMatch(
      /takes pixel_values of \?×3×48×48, but preprocessor_config\.json says 3×224×224/,
    );
  });

  it('loads and classifies through Descry with a budget that fits', async () => {
    const descry = await Descry.load(
      {
        id: 'budgeted',
        files: {
          'config.json': config,
          'preprocessor_config.json': preprocessorConfig,
          'onnx/vision_model.onnx': vision,
        },
      },
      { memoryBudget: { limitBytes: 128e6, reservedBytes: 40e6 } },
    );
    const image = { width: SIDE, height: SIDE, data: new Uint8Array(SIDE * SIDE * 4).fill(200) };
    const embeddings = await descry.embedImages([image]);
    expect(embeddings.cols).toBe(config.projection_dim);
  });
});
