/**
 * Which ONNX files an encoder loads, by the conventions of transformers.js and of the repositories
 * made for it (Xenova/*, onnx-community/*), so that any such export loads as transformers.js
 * would load it:
 *
 * - dtype → file: `onnx/{text,vision}_model{suffix}.onnx`, with transformers.js's own table
 *   (`DEFAULT_DTYPE_SUFFIX_MAPPING` in @huggingface/transformers src/utils/dtypes.js): `q8` is
 *   `_quantized`, `fp16` `_fp16`, and so on; tests/sdk/onnx-files.node.test.ts compares the two.
 *   `quantized` is kept as Descry's earlier name for `q8`.
 * - Per-model defaults: `transformers.js_config.dtype` in config.json (one dtype, or one per file:
 *   `{ "text_model": "q8", "vision_model": "fp16" }`) when the caller names none; `auto` means the
 *   default, fp32. Its `device_config` overlays are not read (Descry chooses no device).
 * - External data: `transformers.js_config.use_external_data_format` (true, a chunk count, or per
 *   file) names weights kept beside the graph as `{graph}_data`, `{graph}_data_1`, …, which ONNX
 *   Runtime needs handed over (`externalData`) when it loads the graph from bytes.
 * - A missing variant is reported with the variants the repository has.
 * - Descry adds `int8w` (`_int8w`): int8 weights behind DequantizeLinear with float compute
 *   (bench/models/onnx_variants.py), the edge variant whose weights stay int8 in ONNX Runtime's
 *   memory (bench/results/edge-models.md). transformers.js has no name for it.
 */
import { InvalidInputError, ModelLoadError } from '../errors.js';

/** transformers.js's dtype → file-suffix table (`DEFAULT_DTYPE_SUFFIX_MAPPING`), in its order. */
export const DTYPE_SUFFIXES = Object.freeze({
  fp32: '',
  fp16: '_fp16',
  int8: '_int8',
  uint8: '_uint8',
  q8: '_quantized',
  q4: '_q4',
  q2: '_q2',
  q1: '_q1',
  q4f16: '_q4f16',
  q2f16: '_q2f16',
  q1f16: '_q1f16',
  bnb4: '_bnb4',
});

/** Descry's own variants, beside transformers.js's table (kept apart so the two can be compared). */
export const DESCRY_DTYPE_SUFFIXES = Object.freeze({ int8w: '_int8w' });

/** Every dtype → suffix Descry loads (the order variants are listed in): transformers.js's table, then Descry's own. */
export const ALL_DTYPE_SUFFIXES: Readonly<Record<string, string>> = Object.freeze({
  ...DTYPE_SUFFIXES,
  ...DESCRY_DTYPE_SUFFIXES,
});

/**
 * Which ONNX export of a model to load, by transformers.js's dtype names (`quantized`: `q8`), and
 * `int8w` (int8 weights, float compute).
 */
export type ModelDtype = keyof typeof DTYPE_SUFFIXES | keyof typeof DESCRY_DTYPE_SUFFIXES | 'quantized';

/** The two encoders, by the file names transformers.js gives them. */
export type EncoderPart = 'text' | 'vision';

/** transformers.js's at most 100 external-data chunks (MAX_EXTERNAL_DATA_CHUNKS). */
const MAX_EXTERNAL_DATA_CHUNKS = 100;

function isDtype(value: unknown): value is ModelDtype {
  return typeof value === 'string' && (value === 'quantized' || Object.hasOwn(ALL_DTYPE_SUFFIXES, value));
}

const DTYPE_NAMES = Object.keys(ALL_DTYPE_SUFFIXES).join(', ');

/** The suffix of `dtype`'s files; InvalidInputError for a name transformers.js does not have. */
export function dtypeSuffix(dtype: ModelDtype): string {
  if (!isDtype(dtype)) {
    throw new InvalidInputError('invalid_input', `unknown dtype "${String(dtype)}": one of ${DTYPE_NAMES}`);
  }
  return ALL_DTYPE_SUFFIXES[dtype === 'quantized' ? 'q8' : dtype]!;
}

/** The base name of an encoder's graph (`text_model`), the key of per-file settings. */
export function encoderFileName(part: EncoderPart): string {
  return `${part}_model`;
}

/** Path of an encoder's graph for a dtype: `onnx/text_model_quantized.onnx`. */
export function encoderGraphPath(part: EncoderPart, dtype: ModelDtype): string {
  return `onnx/${encoderFileName(part)}${dtypeSuffix(dtype)}.onnx`;
}

/** The dtype a graph file name stands for (`text_model_fp16.onnx` → fp16), if it is one of `part`'s. */
export function dtypeOfGraph(part: EncoderPart, fileName: string): ModelDtype | undefined {
  const stem = encoderFileName(part);
  const match = new RegExp(`^${stem}(_\\w+)?\\.onnx$`).exec(fileName);
  if (!match) return undefined;
  const suffix = match[1] ?? '';
  return (Object.keys(ALL_DTYPE_SUFFIXES) as ModelDtype[]).find(
    (dtype) => ALL_DTYPE_SUFFIXES[dtype] === suffix,
  );
}

type PerFile<T> = T | Record<string, T>;

/** The parts of config.json's `transformers.js_config` that choose files. */
export interface TransformersJsConfig {
  dtype?: PerFile<ModelDtype | 'auto'>;
  useExternalDataFormat?: PerFile<boolean | number>;
}

/** Read `transformers.js_config` from a parsed config.json; model_config_invalid when it is malformed. */
export function transformersJsConfig(config: unknown): TransformersJsConfig {
  const section = (config as Record<string, unknown> | null)?.['transformers.js_config'];
  if (section === undefined || section === null) return {};
  const invalid = (what: string) =>
    new ModelLoadError('model_config_invalid', `config.json: transformers.js_config.${what}`);
  if (typeof section !== 'object' || Array.isArray(section)) throw invalid('is not an object');
  const { dtype, use_external_data_format: external } = section as Record<string, unknown>;
  const result: TransformersJsConfig = {};
  const dtypeOk = (value: unknown) => value === 'auto' || isDtype(value);
  if (dtype !== undefined && dtype !== null) {
    const ok =
      dtypeOk(dtype) ||
      (typeof dtype === 'object' && !Array.isArray(dtype) && Object.values(dtype).every(dtypeOk));
    if (!ok) throw invalid(`dtype must be one of ${DTYPE_NAMES}, auto, or one of them per file`);
    result.dtype = dtype as PerFile<ModelDtype | 'auto'>;
  }
  if (external !== undefined && external !== null) {
    const chunksOk = (value: unknown) =>
      typeof value === 'boolean' || (Number.isInteger(value) && (value as number) >= 0);
    const ok =
      chunksOk(external) ||
      (typeof external === 'object' && !Array.isArray(external) && Object.values(external).every(chunksOk));
    if (!ok) throw invalid('use_external_data_format must be true, false, a chunk count, or one per file');
    result.useExternalDataFormat = external as PerFile<boolean | number>;
  }
  return result;
}

/**
 * The dtype an encoder loads: the caller's, else the model's own default
 * (`transformers.js_config.dtype`, for all files or this one), else fp32.
 */
export function encoderDtype(
  part: EncoderPart,
  requested: ModelDtype | undefined,
  config: TransformersJsConfig,
): ModelDtype {
  if (requested !== undefined) {
    dtypeSuffix(requested); // refuse unknown names now
    return requested;
  }
  const configured =
    typeof config.dtype === 'object' ? config.dtype[encoderFileName(part)] : (config.dtype ?? undefined);
  return configured === undefined || configured === 'auto' ? 'fp32' : configured;
}

/**
 * The external-data files of a graph (`onnx/text_model.onnx` → `onnx/text_model.onnx_data`, then
 * `_data_1`, …), by transformers.js's rule: a per-file entry by the graph's full name, then by its
 * base name, else the model-wide value; true is one chunk.
 */
export function externalDataPaths(
  part: EncoderPart,
  graphPath: string,
  config: TransformersJsConfig,
): string[] {
  const setting = config.useExternalDataFormat;
  const fullName = graphPath.slice(graphPath.lastIndexOf('/') + 1);
  let chunks: number;
  if (setting === undefined) chunks = 0;
  else if (typeof setting === 'object') chunks = +(setting[fullName] ?? setting[encoderFileName(part)] ?? 0);
  else chunks = +setting;
  if (chunks > MAX_EXTERNAL_DATA_CHUNKS) {
    throw new ModelLoadError(
      'model_config_invalid',
      `config.json: ${chunks} external data chunks for ${fullName}; at most ${MAX_EXTERNAL_DATA_CHUNKS}`,
    );
  }
  return Array.from({ length: chunks }, (_, i) => `${graphPath}_data${i === 0 ? '' : `_${i}`}`);
}

/** Every graph path `part` could have, one per dtype: what a source without a listing is asked for. */
export function candidateGraphPaths(part: EncoderPart): string[] {
  return (Object.keys(ALL_DTYPE_SUFFIXES) as ModelDtype[]).map((dtype) => encoderGraphPath(part, dtype));
}
