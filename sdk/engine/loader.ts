/**
 * Loading a model: its files resolved from any source, config.json and preprocessor_config.json
 * read, validated and fingerprinted, the family's profile chosen, and the two towers set up to
 * load their ONNX graphs on first use (so a deployment classifying with compiled classifiers never
 * reads the text model or the tokenizer). `Descry.load` is this plus the facade.
 */
import { ModelLoadError } from '../errors.js';
import { resolveBackground } from '../image/background.js';
import { type PreprocessorConfig, parsePreprocessorConfig } from '../image/preprocessor-config.js';
import { runtime } from '../runtime.js';
import { PromptTokenizer } from '../text/tokenizer.js';
import { type ModelConfig, type ModelFamily, parseModelConfig } from './config.js';
import { modelFingerprint } from './fingerprint.js';
import { lazyValue } from './lazy-value.js';
import type { LoadOptions, ModelSource } from './load-options.js';
import { budgetedModelFile, MemoryLedger } from './memory-budget.js';
import {
  ALL_DTYPE_SUFFIXES,
  candidateGraphPaths,
  dtypeOfGraph,
  type EncoderPart,
  encoderDtype,
  encoderGraphPath,
  externalDataPaths,
  type ModelDtype,
  type TransformersJsConfig,
  transformersJsConfig,
} from './onnx-files.js';
import type { ModelFiles } from './source.js';
import { type EncoderModelFile, TextTower, VisionTower } from './towers.js';

/** What a loaded model is. */
export interface ModelInfo {
  id: string;
  /**
   * SHA-256 of config.json and preprocessor_config.json as canonical JSON (./fingerprint.ts),
   * the same however the files were loaded: compiled classifiers carry it.
   */
  fingerprint: string;
  family: ModelFamily;
  projectionDim: number | undefined;
  logitScale: number;
  logitBias: number;
  /** Pixel size the vision encoder sees; undefined when it depends on the image. */
  imageSize: { height: number; width: number } | undefined;
}

/** A model ready to run: its manifest and its two towers. */
export interface LoadedModel {
  info: ModelInfo;
  files: ModelFiles;
  config: ModelConfig;
  preprocessor: PreprocessorConfig;
  text: TextTower;
  vision: VisionTower;
}

async function readJson(files: ModelFiles, path: string): Promise<unknown> {
  const bytes = await files.read(path);
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  } catch (cause) {
    throw new ModelLoadError('model_config_invalid', `${path} of ${files.id} is not valid JSON`, { cause });
  }
}

/** The variants (dtype and file) of `part` that `files` has, or undefined when it cannot tell. */
async function variantsOf(
  files: ModelFiles,
  part: EncoderPart,
): Promise<Array<{ dtype: ModelDtype; path: string }> | undefined> {
  let paths = await files.list?.('onnx').catch(() => undefined);
  if (!paths && files.has) {
    const candidates = candidateGraphPaths(part);
    const found = await Promise.all(candidates.map((path) => files.has!(path).catch(() => undefined)));
    if (found.some((answer) => answer === undefined)) return undefined;
    paths = candidates.filter((_, i) => found[i]);
  }
  if (!paths) return undefined;
  const order = Object.keys(ALL_DTYPE_SUFFIXES);
  return paths
    .flatMap((path) => {
      const dtype = dtypeOfGraph(part, path.slice(path.lastIndexOf('/') + 1));
      return dtype ? [{ dtype, path }] : [];
    })
    .sort((a, b) => order.indexOf(a.dtype) - order.indexOf(b.dtype));
}

/**
 * Run `read`; when it fails because `path` does not exist, fail instead with the variants the
 * model has, so that a wrong dtype says which ones would load.
 */
async function orVariants<T>(
  files: ModelFiles,
  part: EncoderPart,
  dtype: ModelDtype,
  path: string,
  read: () => Promise<T>,
): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const missing =
      error instanceof ModelLoadError && error.code === 'model_load_failed' && error.details?.path === path;
    if (!missing) throw error;
    const variants = await variantsOf(files, part);
    if (variants?.some((variant) => variant.path === path)) throw error; // there, but unreadable
    const has =
      variants === undefined
        ? ''
        : variants.length === 0
          ? `; it has no ${part} encoder in onnx/`
          : `; it has ${variants.map((v) => `${v.dtype} (${v.path})`).join(', ')}`;
    throw new ModelLoadError(
      'model_load_failed',
      `model ${files.id} has no ${part} encoder for dtype ${dtype} (${path})${has}`,
      {
        cause: error,
        details: { path, dtype, ...(variants ? { available: variants.map((v) => v.dtype) } : {}) },
      },
    );
  }
}

/** Directory part of a local path or a slash path, with its separator. */
function folderOf(path: string): string {
  return path.slice(0, Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

/** An encoder's graph and its external data (onnx-files.ts), by the dtype chosen for it. */
function encoderFile(
  files: ModelFiles,
  part: EncoderPart,
  dtype: ModelDtype,
  config: TransformersJsConfig,
): EncoderModelFile {
  const path = encoderGraphPath(part, dtype);
  const data = externalDataPaths(part, path, config);
  const nameOf = (dataPath: string) => dataPath.slice(dataPath.lastIndexOf('/') + 1);
  return {
    bytes: () => orVariants(files, part, dtype, path, () => files.read(path)),
    async localPath() {
      const graph = await orVariants(files, part, dtype, path, async () => files.localPath?.(path));
      if (graph === undefined) return undefined;
      // ONNX Runtime finds external data beside the graph, under the names the graph gives it.
      for (const dataPath of data) {
        const local = await files.localPath?.(dataPath);
        if (local !== `${folderOf(graph)}${nameOf(dataPath)}`) return undefined;
      }
      return graph;
    },
    ...(data.length > 0
      ? {
          externalData: () =>
            Promise.all(
              data.map(async (dataPath) => ({ path: nameOf(dataPath), data: await files.read(dataPath) })),
            ),
        }
      : {}),
  };
}

function inputSize(config: PreprocessorConfig): { height: number; width: number } | undefined {
  if (config.crop) return { ...config.crop };
  if (config.resize?.mode === 'exact') return { height: config.resize.height, width: config.resize.width };
  return undefined;
}

/**
 * Resolve `source`, read and check its manifest, and set up its towers. Only config.json and
 * preprocessor_config.json are read now; each ONNX graph loads on first use.
 */
export async function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<LoadedModel> {
  resolveBackground(options.background); // a bad option fails now, not at the first image
  const files = await runtime().resolveSource(source, options);
  const [configJson, preprocessorJson] = await Promise.all([
    readJson(files, 'config.json'),
    readJson(files, 'preprocessor_config.json'),
  ]);
  const config = parseModelConfig(configJson, options);
  const hubConfig = transformersJsConfig(configJson);
  const textDtype = encoderDtype('text', options.textDtype ?? options.dtype, hubConfig);
  const visionDtype = encoderDtype('vision', options.visionDtype ?? options.dtype, hubConfig);
  const preprocessor = parsePreprocessorConfig(preprocessorJson, config.profile);
  const fingerprint = await modelFingerprint(configJson, preprocessorJson);

  const chosenBackend = lazyValue(async () => {
    const chosen = options.backend;
    if (!chosen) return runtime().backend();
    return typeof chosen === 'function' ? chosen() : chosen;
  });
  const backend = () => chosenBackend.get();
  const { profile } = config;
  const tokenizer = lazyValue(async () => {
    const [json, tokenizerConfig] = await Promise.all([
      readJson(files, 'tokenizer.json'),
      readJson(files, 'tokenizer_config.json').catch(() => ({})),
    ]);
    return new PromptTokenizer(json as object, tokenizerConfig as Record<string, unknown>, {
      maxLength: config.maxTextLength,
      padding: profile.text.padding,
    });
  });
  // With a memory budget, each encoder is sized from its file before the runtime loads it
  // (memory-budget.ts); the vision encoder's activations from the input size the preprocessor gives it.
  const ledger = options.memoryBudget && new MemoryLedger(options.memoryBudget);
  const size = inputSize(preprocessor);
  const textFile = encoderFile(files, 'text', textDtype, hubConfig);
  const visionFile = encoderFile(files, 'vision', visionDtype, hubConfig);
  const text = new TextTower({
    backend,
    tokenizer: () => tokenizer.get(),
    model: ledger
      ? budgetedModelFile(files, encoderGraphPath('text', textDtype), ledger, {}, textFile)
      : textFile,
    outputs: profile.outputs.text,
    ...(options.promptsPerRun ? { batchSize: options.promptsPerRun } : {}),
  });
  const vision = new VisionTower({
    backend,
    model:
      ledger && size
        ? budgetedModelFile(
            files,
            encoderGraphPath('vision', visionDtype),
            ledger,
            {
              inputShapes: {
                pixel_values: [options.memoryBudget?.imagesPerRun ?? 1, 3, size.height, size.width],
              },
              checkedInput: 'pixel_values',
              source: 'preprocessor_config.json',
            },
            visionFile,
          )
        : visionFile,
    outputs: profile.outputs.vision,
    ...(options.batching ? { batching: options.batching } : {}),
  });
  return {
    info: {
      id: files.id,
      fingerprint,
      family: config.family,
      projectionDim: config.projectionDim,
      logitScale: config.logitScale,
      logitBias: config.logitBias,
      imageSize: inputSize(preprocessor),
    },
    files,
    config,
    preprocessor,
    text,
    vision,
  };
}
