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
import type { ModelFiles } from './source.js';
import { type EncoderModelFile, onnxPath, TextTower, VisionTower } from './towers.js';

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

function modelFile(files: ModelFiles, path: string): EncoderModelFile {
  return { bytes: () => files.read(path), localPath: async () => files.localPath?.(path) };
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
  const text = new TextTower({
    backend,
    tokenizer: () => tokenizer.get(),
    model: modelFile(files, onnxPath('text', options.textDtype ?? options.dtype ?? 'fp32')),
    outputs: profile.outputs.text,
    ...(options.promptsPerRun ? { batchSize: options.promptsPerRun } : {}),
  });
  const vision = new VisionTower({
    backend,
    model: modelFile(files, onnxPath('vision', options.visionDtype ?? options.dtype ?? 'fp32')),
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
