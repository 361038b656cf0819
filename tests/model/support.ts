/** Helpers for the embedded emoji-clip model tests: file paths, preprocessing, tokenization, ONNX runs. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';
import { decode } from 'fast-png';
import * as ort from 'onnxruntime-node';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MODEL_DIR = join(ROOT, 'models', 'emoji-clip');
/** The committed held-out subset: transparent 72 px OpenMoji PNGs, as users have them. */
export const EVAL_DIR = join(ROOT, 'tests', 'fixtures', 'openmoji-eval');
/** A few of them at the model's input size (no resize needed), still transparent. */
export const INPUT_SIZE_DIR = join(EVAL_DIR, 'input-size');
export const PROMPT = 'an emoji of {}';

// biome-ignore lint/suspicious/noExplicitAny: the model's JSON files are read loosely in these tests
export const readJson = <T = any>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
export const config = readJson(join(MODEL_DIR, 'config.json'));
export const preprocessor = readJson(join(MODEL_DIR, 'preprocessor_config.json'));
export const tokenizerJson = readJson(join(MODEL_DIR, 'tokenizer.json'));
export const tokenizerConfig = readJson(join(MODEL_DIR, 'tokenizer_config.json'));
export const SIZE: number = preprocessor.crop_size.height;

export interface EvalLabel {
  name: string;
  subcategory: string;
  tags: string[];
  annotation: string | null;
}
export const labels = readJson<Record<string, EvalLabel>>(join(EVAL_DIR, 'labels.json'));
export const inputSizeLabels = readJson<Record<string, EvalLabel>>(join(INPUT_SIZE_DIR, 'labels.json'));
export const classes = readJson<Array<{ name: string; subcategory: string; category: string }>>(
  join(ROOT, 'tests', 'fixtures', 'emoji-classes.json'),
);

export const tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);

/**
 * RGB(A) PNG at the model input size -> CHW float32, as preprocessor_config says (rescale, normalise), alpha
 * dropped as CLIPImageProcessor's convert('RGB') does.
 */
export function pixelValues(png: Uint8Array): Float32Array {
  const img = decode(png);
  if (img.width !== SIZE || img.height !== SIZE)
    throw new Error(`expected ${SIZE}x${SIZE}, got ${img.width}x${img.height}`);
  const ch = img.channels;
  const out = new Float32Array(3 * SIZE * SIZE);
  for (let i = 0; i < SIZE * SIZE; i++) {
    for (let c = 0; c < 3; c++) {
      const v = Number(img.data[i * ch + c]) * preprocessor.rescale_factor;
      out[c * SIZE * SIZE + i] = (v - preprocessor.image_mean[c]) / preprocessor.image_std[c];
    }
  }
  return out;
}

export function imageTensor(files: string[]): ort.Tensor {
  const data = new Float32Array(files.length * 3 * SIZE * SIZE);
  for (const [i, f] of files.entries())
    data.set(pixelValues(readFileSync(join(INPUT_SIZE_DIR, f))), i * 3 * SIZE * SIZE);
  return new ort.Tensor('float32', data, [files.length, 3, SIZE, SIZE]);
}

/** Right-padded input_ids / attention_mask, padded with the pad token (<|endoftext|>). */
export function textTensors(texts: string[]): { input_ids: ort.Tensor; attention_mask: ort.Tensor } {
  const max = tokenizerConfig.model_max_length as number;
  const enc = texts.map((t) => tokenizer.encode(t).ids.slice(0, max));
  const L = Math.max(...enc.map((e) => e.length));
  const ids = new BigInt64Array(enc.length * L).fill(BigInt(config.text_config.pad_token_id));
  const mask = new BigInt64Array(enc.length * L);
  for (const [i, e] of enc.entries()) {
    for (const [k, v] of e.entries()) {
      ids[i * L + k] = BigInt(v);
      mask[i * L + k] = 1n;
    }
  }
  return {
    input_ids: new ort.Tensor('int64', ids, [enc.length, L]),
    attention_mask: new ort.Tensor('int64', mask, [enc.length, L]),
  };
}

export const session = (name: string) => ort.InferenceSession.create(join(MODEL_DIR, 'onnx', name));

/** Rows of a [n, d] tensor, L2-normalised. */
export function rows(t: ort.Tensor): Float32Array[] {
  const [n, d] = t.dims as [number, number];
  const data = t.data as Float32Array;
  return Array.from({ length: n }, (_, i) => {
    const r = data.slice(i * d, (i + 1) * d);
    const norm = Math.hypot(...r) || 1;
    return r.map((x) => x / norm);
  });
}

export const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * (b[i] as number), 0);
