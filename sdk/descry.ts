/**
 * Descry: one loaded model, its encoders, and classification over them.
 *
 * The request path for a compiled classifier is decode → preprocess → one vision-encoder run →
 * a small matrix product; all work on labels (tokenising, text encoding, ensembling) happens in
 * `compile`, or once per label set when plain labels are passed (cached by prompt).
 */
import { type ClassDescriptors, CompiledClassifier } from './classifier/compiled.js';
import { InvalidInputError, ModelLoadError } from './errors.js';
import { classifyWithFudd, confusedPairs, type FuddRequestOptions } from './follow-up.js';
import { DEFAULT_BACKGROUND, type ImageBackground, resolveBackground } from './image/background.js';
import { decodeImage } from './image/decode.js';
import { readImageInput } from './image/input.js';
import {
  minimumDecodeSize,
  PixelBatchWriter,
  type PreprocessorConfig,
  parsePreprocessorConfig,
} from './image/preprocess.js';
import { type ImageProbe, probeImage } from './image/probe.js';
import { type ModelConfig, parseModelConfig } from './model/config.js';
import { type EncoderModelFile, onnxPath, TextEncoder, VisionEncoder } from './model/encoders.js';
import { modelFingerprint } from './model/fingerprint.js';
import { lazyValue } from './model/lazy-value.js';
import type { LoadOptions, ModelSource } from './model/load-options.js';
import { budgetedModelFile, MemoryLedger } from './model/memory-budget.js';
import { PixelBufferPool } from './model/pixel-buffers.js';
import type { ModelFiles } from './model/source.js';
import { descriptorMeans, type PredictOptions, predict } from './predict.js';
import { matrixRow } from './predictors/matrix.js';
import { buildTfupCache, extendTfupCache, type TfupCache, type TfupCacheOptions } from './predictors/tfup.js';
import { classWeightsFromTemplates } from './predictors/zero-shot.js';
import { runtime } from './runtime.js';
import { descriptorPromptFromTemplate, PAPER_DESCRIPTOR_TEMPLATE } from './text/descriptor-prompts.js';
import { PromptEmbeddingCache } from './text/prompt-cache.js';
import { applyTemplate, TRANSFORMERS_JS_TEMPLATE as DEFAULT_TEMPLATE } from './text/templates.js';
import { PromptTokenizer } from './text/tokenizer.js';
import type { ClassificationResult, DescriptorMap, ImageInput, Matrix } from './types.js';

/** What a loaded model is. */
export interface ModelInfo {
  id: string;
  /**
   * SHA-256 of config.json and preprocessor_config.json as canonical JSON (model/fingerprint.ts),
   * the same however the files were loaded: compiled classifiers carry it.
   */
  fingerprint: string;
  family: 'clip' | 'siglip';
  projectionDim: number | undefined;
  logitScale: number;
  logitBias: number;
  /** Pixel size the vision encoder sees; undefined when it depends on the image. */
  imageSize: { height: number; width: number } | undefined;
}

/** A label set to compile. */
export interface ClassifierSpec {
  labels: readonly string[];
  /** Prompt templates with `{}` for the label; their embeddings are averaged (ensemble). */
  templates?: readonly string[];
  /** Visual descriptors per label for classification by description. */
  descriptors?: DescriptorMap;
  /**
   * How a descriptor becomes a prompt: slots `{class}`, `{clause}` ("which has …", the paper's
   * rules) and `{descriptor}`. Default the paper's `"{class}, {clause}"`.
   */
  descriptorTemplate?: string;
}

/** Options for {@link Descry.classify}. */
export type ClassifyOptions = PredictOptions & {
  /** Templates and descriptors used when `target` is a plain label list. */
  templates?: readonly string[];
  descriptors?: DescriptorMap;
  descriptorTemplate?: string;
  /** Required for method 'fudd': where pair descriptions come from, and its budget. */
  fudd?: FuddRequestOptions;
  /**
   * Abandons the call (rejecting with the signal's reason) before image decoding and before
   * scoring, and cuts FuDD's LLM requests short: pass the request's signal in a server.
   */
  signal?: AbortSignal;
  /** What transparent pixels become for these images (default: the instance's `background`). */
  background?: ImageBackground;
};

/** Options for {@link Descry.embedImages}. */
export interface EmbedImagesOptions {
  /** What transparent pixels become for these images (default: the instance's `background`). */
  background?: ImageBackground;
}

/** Options for {@link Descry.adapt}. */
export interface AdaptOptions {
  /** An existing cache to grow; default: a new one. */
  cache?: TfupCache;
  /** Class weights to build on: template ensembles (default) or descriptor means. */
  weights?: 'templates' | 'descriptions';
  /** Cache-building parameters (the paper's defaults otherwise). */
  options?: Partial<TfupCacheOptions>;
  /** What transparent pixels become for these images (default: the instance's `background`). */
  background?: ImageBackground;
}

export type { LoadOptions, ModelSource };

/** A CLIP-family model ready to classify. */
export class Descry {
  readonly info: ModelInfo;
  readonly #files: ModelFiles;
  readonly #config: ModelConfig;
  readonly #preprocessor: PreprocessorConfig;
  readonly #text: TextEncoder;
  readonly #vision: VisionEncoder;
  readonly #pixelBuffers = new PixelBufferPool();
  readonly #prompts: PromptEmbeddingCache;
  readonly #maxImagePixels: number;
  readonly #background: ImageBackground;
  /** The smallest decode the model needs, when large JPEGs may be decoded reduced. */
  readonly #minDecodeSize: { width: number; height: number } | undefined;

  private constructor(init: {
    files: ModelFiles;
    config: ModelConfig;
    preprocessor: PreprocessorConfig;
    fingerprint: string;
    options: LoadOptions;
  }) {
    const { files, config, preprocessor, options } = init;
    this.#files = files;
    this.#config = config;
    this.#preprocessor = preprocessor;
    this.#maxImagePixels = options.maxImagePixels ?? 40_000_000;
    this.#background = options.background ?? DEFAULT_BACKGROUND;
    this.#minDecodeSize = options.jpegDctScaling === false ? undefined : minimumDecodeSize(preprocessor);
    const chosenBackend = lazyValue(async () => {
      const chosen = options.backend;
      if (!chosen) return runtime().backend();
      return typeof chosen === 'function' ? chosen() : chosen;
    });
    const backend = () => chosenBackend.get();
    const tokenizerValue = lazyValue(async () => {
      const [json, tokenizerConfig] = await Promise.all([
        this.#readJson('tokenizer.json'),
        this.#readJson('tokenizer_config.json').catch(() => ({})),
      ]);
      return new PromptTokenizer(json as object, tokenizerConfig as Record<string, unknown>, {
        maxLength: config.maxTextLength,
        padding: config.family === 'siglip' ? 'max_length' : 'longest',
      });
    });
    const textPath = onnxPath('text', options.textDtype ?? options.dtype ?? 'fp32');
    const visionPath = onnxPath('vision', options.visionDtype ?? options.dtype ?? 'fp32');
    // With a memory budget, each encoder is sized from its file before the runtime loads it.
    const ledger = options.memoryBudget && new MemoryLedger(options.memoryBudget);
    const size = inputSize(preprocessor);
    this.#text = new TextEncoder({
      backend,
      tokenizer: () => tokenizerValue.get(),
      model: ledger ? budgetedModelFile(files, textPath, ledger, {}) : modelFile(files, textPath),
    });
    this.#vision = new VisionEncoder({
      backend,
      model:
        ledger && size
          ? budgetedModelFile(files, visionPath, ledger, {
              inputShapes: {
                pixel_values: [options.memoryBudget?.imagesPerRun ?? 1, 3, size.height, size.width],
              },
              checkedInput: 'pixel_values',
              source: 'preprocessor_config.json',
            })
          : modelFile(files, visionPath),
      ...(options.batching ? { batching: options.batching } : {}),
    });
    this.#prompts = new PromptEmbeddingCache((texts) => this.#text.embed(texts));
    this.info = {
      id: files.id,
      fingerprint: init.fingerprint,
      family: config.family,
      projectionDim: config.projectionDim,
      logitScale: config.logitScale,
      logitBias: config.logitBias,
      imageSize: inputSize(preprocessor),
    };
  }

  /**
   * Load a model. Only config.json and preprocessor_config.json are read now; the encoders load
   * on first use, each separately.
   */
  static async load(source: ModelSource, options: LoadOptions = {}): Promise<Descry> {
    resolveBackground(options.background); // a bad option fails now, not at the first image
    const files = await runtime().resolveSource(source, options);
    const read = async (path: string) => {
      const bytes = await files.read(path);
      try {
        return { bytes, json: JSON.parse(new TextDecoder().decode(bytes)) as unknown };
      } catch (cause) {
        throw new ModelLoadError('model_config_invalid', `${path} of ${files.id} is not valid JSON`, {
          cause,
        });
      }
    };
    const [config, preprocessor] = await Promise.all([read('config.json'), read('preprocessor_config.json')]);
    const fingerprint = await modelFingerprint(config.json, preprocessor.json);
    return new Descry({
      files,
      config: parseModelConfig(config.json, options),
      preprocessor: parsePreprocessorConfig(preprocessor.json),
      fingerprint,
      options,
    });
  }

  /** Whether each encoder has been loaded (the text encoder stays unloaded with compiled classifiers). */
  get loaded(): { text: boolean; vision: boolean } {
    return { text: this.#text.loaded, vision: this.#vision.loaded };
  }

  /**
   * Reads an encoded image's headers as this model will decode it, decoding nothing: format,
   * declared size, whether it can be transparent, and `decoded`, the size the decoder will
   * allocate (a large JPEG at a reduced DCT scale, unless loaded with `jpegDctScaling: false`).
   * A server sums `decoded` pixels over a request to bound its work before decoding any image;
   * the same count is what `maxImagePixels` limits.
   *
   * @throws ImageDecodeError as {@link probeImage}.
   */
  probe(bytes: Uint8Array): ImageProbe {
    return probeImage(bytes, { minSize: this.#minDecodeSize });
  }

  /** Embed images; rows are L2-normalised, in input order. */
  async embedImages(images: readonly ImageInput[], options: EmbedImagesOptions = {}): Promise<Matrix> {
    if (images.length === 0) throw new InvalidInputError('invalid_input', 'no images given');
    const background = options.background ?? this.#background;
    resolveBackground(background); // a bad option fails before any image is fetched or decoded
    const decode = { maxPixels: this.#maxImagePixels, minSize: this.#minDecodeSize };
    // Downloads overlap; decoding and preprocessing go one image at a time, so a call holds one
    // decoded image rather than all of them, and each is resized while it is still in cache.
    const inputs = await Promise.all(images.map((image) => readImageInput(image, decode)));
    const batch = new PixelBatchWriter(inputs.length, this.#preprocessor, { background }, (length) =>
      this.#pixelBuffers.acquire(length),
    );
    for (const input of inputs) {
      batch.add(input instanceof Uint8Array ? await decodeImage(input, decode) : input);
    }
    const { data, dims } = batch.finish();
    try {
      return await this.#vision.embed(data, dims);
    } finally {
      this.#pixelBuffers.release(data);
    }
  }

  /** Embed texts as they are (no template); rows are L2-normalised. */
  async embedTexts(texts: readonly string[]): Promise<Matrix> {
    if (texts.length === 0) throw new InvalidInputError('invalid_input', 'no texts given');
    return this.#prompts.embed(texts);
  }

  /** Compile a label set (and optional descriptors) into a classifier for this model. */
  async compile(spec: ClassifierSpec): Promise<CompiledClassifier> {
    const labels = validateLabels(spec.labels);
    const templates = [...(spec.templates?.length ? spec.templates : [DEFAULT_TEMPLATE])];
    const prompts = labels.flatMap((label) => templates.map((t) => applyTemplate(t, label)));
    const embedded = await this.#prompts.embed(prompts);
    const weights = classWeightsFromTemplates(
      labels.map((_, c) => templates.map((_, t) => matrixRow(embedded, c * templates.length + t))),
    );
    let descriptors: ClassDescriptors[] | undefined;
    if (spec.descriptors) {
      const template = spec.descriptorTemplate ?? PAPER_DESCRIPTOR_TEMPLATE;
      const given = spec.descriptors;
      // Blank lines of LLM output are not descriptors; only own keys count (a label may be "__proto__").
      const lists = labels.map((label) =>
        (Object.hasOwn(given, label) ? (given[label] ?? []) : []).map((d) => d.trim()).filter(Boolean),
      );
      const all = lists.flatMap((list, i) =>
        list.map((d) => descriptorPromptFromTemplate(template, labels[i]!, d)),
      );
      const rows = all.length
        ? await this.#prompts.embed(all)
        : { rows: 0, cols: weights.cols, data: new Float32Array() };
      let row = 0;
      descriptors = lists.map((list) => {
        const data = rows.data.slice(row * rows.cols, (row + list.length) * rows.cols);
        row += list.length;
        return { descriptors: list, embeddings: { rows: list.length, cols: weights.cols, data } };
      });
    }
    return new CompiledClassifier({
      labels,
      templates,
      weights,
      ...(descriptors
        ? { descriptors, descriptorTemplate: spec.descriptorTemplate ?? PAPER_DESCRIPTOR_TEMPLATE }
        : {}),
      fingerprint: this.info.fingerprint,
      model: this.info.id,
    });
  }

  /** Load a serialised classifier, refusing one compiled for another model. */
  loadClassifier(bytes: Uint8Array): CompiledClassifier {
    return CompiledClassifier.fromBytes(bytes, this.info.fingerprint);
  }

  /**
   * Classify images against labels or a compiled classifier. One result per image, predictions
   * sorted by score.
   */
  async classify(
    images: ImageInput | readonly ImageInput[],
    target: readonly string[] | CompiledClassifier,
    options: ClassifyOptions = {},
  ): Promise<ClassificationResult[]> {
    const list = Array.isArray(images) ? (images as readonly ImageInput[]) : [images as ImageInput];
    if (options.background !== undefined) resolveBackground(options.background);
    const classifier = await this.#classifierFor(target, options);
    options.signal?.throwIfAborted();
    const embeddings = await this.embedImages(list, { background: options.background });
    return this.#rank(embeddings, classifier, options);
  }

  /**
   * Classify image embeddings computed earlier by {@link Descry.embedImages} (kept in a store, or
   * shared by several label sets): the same answer as {@link Descry.classify} on those images.
   */
  async classifyEmbeddings(
    embeddings: Matrix,
    target: readonly string[] | CompiledClassifier,
    options: ClassifyOptions = {},
  ): Promise<ClassificationResult[]> {
    return this.#rank(embeddings, await this.#classifierFor(target, options), options);
  }

  /**
   * The class pairs FuDD would ask an LLM about for these images: every pair within each image's
   * ambiguous top-k (default 10), deduplicated, in canonical order. Precomputing the descriptions
   * of exactly these pairs is the production path for FuDD.
   */
  async confusedPairs(
    images: readonly ImageInput[] | Matrix,
    classifier: CompiledClassifier,
    k = 10,
  ): Promise<Array<[string, string]>> {
    classifier.assertModel(this.info.fingerprint, this.info.id);
    const embeddings = 'data' in images && 'rows' in images ? images : await this.embedImages(images);
    return confusedPairs(embeddings, classifier, this.#scoring(), k);
  }

  async #classifierFor(
    target: readonly string[] | CompiledClassifier,
    options: ClassifyOptions,
  ): Promise<CompiledClassifier> {
    if (target instanceof CompiledClassifier) {
      target.assertModel(this.info.fingerprint, this.info.id);
      return target;
    }
    // Awaited, not returned: workerd reports a returned rejected promise as unhandled.
    return await this.compile({
      labels: target,
      ...(options.templates ? { templates: options.templates } : {}),
      ...(options.descriptors ? { descriptors: options.descriptors } : {}),
      ...(options.descriptorTemplate ? { descriptorTemplate: options.descriptorTemplate } : {}),
    });
  }

  async #rank(
    embeddings: Matrix,
    classifier: CompiledClassifier,
    options: ClassifyOptions,
  ): Promise<ClassificationResult[]> {
    options.signal?.throwIfAborted();
    if (options.method === 'fudd') {
      if (options.fudd) {
        const fudd =
          options.signal && !options.fudd.signal ? { ...options.fudd, signal: options.signal } : options.fudd;
        return classifyWithFudd(embeddings, classifier, this.#scoring(), { ...options, fudd }, (texts) =>
          this.embedTexts(texts),
        );
      }
      const used = classifier.hasDescriptors ? 'descriptions' : 'zeroshot';
      return predict(embeddings, classifier, this.#scoring(), { ...options, method: used }).map((result) => ({
        ...result,
        degraded: { requested: 'fudd', used, reason: 'no description source was configured for FuDD' },
      }));
    }
    return predict(embeddings, classifier, this.#scoring(), options);
  }

  /**
   * TFUP: build (or grow) the feature cache of `classifier` from unlabelled images of the target
   * domain. Pass the result as `options.tfup.cache` with method 'tfup'.
   */
  async adapt(
    classifier: CompiledClassifier,
    images: readonly ImageInput[] | Matrix,
    options: AdaptOptions = {},
  ): Promise<TfupCache> {
    classifier.assertModel(this.info.fingerprint, this.info.id);
    const features =
      'data' in images ? images : await this.embedImages(images, { background: options.background });
    const weights = options.weights === 'descriptions' ? descriptorMeans(classifier) : classifier.weights;
    return options.cache
      ? extendTfupCache(options.cache, features, weights)
      : buildTfupCache(features, weights, options.options);
  }

  #scoring() {
    return {
      logitScale: this.#config.logitScale,
      logitBias: this.#config.logitBias,
      activation: this.#config.family === 'siglip' ? ('sigmoid' as const) : ('softmax' as const),
    };
  }

  async #readJson(path: string): Promise<unknown> {
    return JSON.parse(new TextDecoder().decode(await this.#files.read(path)));
  }
}

function validateLabels(labels: readonly string[]): string[] {
  if (!Array.isArray(labels) || labels.length === 0) {
    throw new InvalidInputError('labels_empty', 'at least one label is required');
  }
  const clean = labels.map((label, i) => {
    if (typeof label !== 'string' || label.trim() === '') {
      throw new InvalidInputError('invalid_input', `label ${i} is empty or not a string`);
    }
    return label.trim();
  });
  if (new Set(clean).size !== clean.length) {
    throw new InvalidInputError('invalid_input', 'labels must be unique');
  }
  return clean;
}

function modelFile(files: ModelFiles, path: string): EncoderModelFile {
  return { bytes: () => files.read(path), localPath: async () => files.localPath?.(path) };
}

function inputSize(config: PreprocessorConfig): { height: number; width: number } | undefined {
  if (config.crop) return { ...config.crop };
  if (config.resize?.mode === 'exact') return { height: config.resize.height, width: config.resize.width };
  return undefined;
}
