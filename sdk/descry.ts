/**
 * Descry: one loaded model, its encoders, and classification over them. A facade: loading is
 * engine/loader.ts, compiling classifier/compile.ts, choosing and running a method
 * methods/predict.ts; this class ties them to one model and its caches.
 *
 * The request path for a compiled classifier is decode → preprocess → one vision-encoder run →
 * a small matrix product; all work on labels (tokenising, text encoding, ensembling) happens in
 * `compile`, or once per label set when plain labels are passed (cached by prompt). Every call that
 * runs a model takes `schedule` and `signal` (schedule.ts), so a host paces its units of work.
 */
import { calibrate } from './classifier/calibrate.js';
import type { CalibratedPredictor } from './classifier/calibration.js';
import { type ClassifierSpec, compileClassifier } from './classifier/compile.js';
import { CompiledClassifier } from './classifier/compiled.js';
import type { LoadOptions, ModelSource } from './engine/load-options.js';
import { loadModel, type ModelInfo } from './engine/loader.js';
import { PixelBufferPool } from './engine/pixel-buffers.js';
import { InvalidInputError } from './errors.js';
import { DEFAULT_BACKGROUND, type ImageBackground, resolveBackground } from './image/background.js';
import { decodeImage } from './image/decode.js';
import { readImageInput } from './image/input.js';
import { minimumDecodeSize, PixelBatchWriter } from './image/preprocess.js';
import { type ImageProbe, probeImage } from './image/probe.js';
import { stackRows } from './math/matrix.js';
import { confusedPairs, type FuddRequestOptions } from './methods/follow-up.js';
import { descriptorMeans, type ModelScoring, type PredictOptions, predictorOf } from './methods/local.js';
import { calibrationFor, predict } from './methods/predict.js';
import {
  assertCalibrationSize,
  type ConfidenceMeasure,
  type ConformalMethod,
} from './predictors/conformal.js';
import type { SubclassMap } from './predictors/subclasses.js';
import { buildTfupCache, extendTfupCache, type TfupCache, type TfupCacheOptions } from './predictors/tfup.js';
import { type RunOptions, runUnit } from './schedule.js';
import { PromptEmbeddingCache } from './text/prompt-cache.js';
import type { ClassificationResult, DescriptorMap, ImageInput, Matrix } from './types.js';

export type { ClassifierSpec, ModelInfo };

/** Options for {@link Descry.classify}. */
export type ClassifyOptions = PredictOptions &
  RunOptions & {
    /** Templates and descriptors used when `target` is a plain label list. */
    templates?: readonly string[];
    descriptors?: DescriptorMap;
    descriptorTemplate?: string;
    /**
     * Subclasses per label for method 'subclasses' when `target` is a plain label list (a compiled
     * classifier carries its own): `{ label: [subclass, …] }`.
     */
    subclasses?: SubclassMap;
    /** Templates for the subclasses of a plain label list (default: `templates`). */
    subclassTemplates?: readonly string[];
    /** Required for method 'fudd': where pair descriptions come from, and its budget. */
    fudd?: FuddRequestOptions;
    /** What transparent pixels become for these images (default: the instance's `background`). */
    background?: ImageBackground | undefined;
    /** Images per vision-tower run for this call (default: the instance's `imagesPerRun`). */
    imagesPerRun?: number;
  };

/** Options for {@link Descry.embedImages}. */
export interface EmbedImagesOptions extends RunOptions {
  /** What transparent pixels become for these images (default: the instance's `background`). */
  background?: ImageBackground | undefined;
  /** Images per vision-tower run for this call (default: the instance's `imagesPerRun`, 8). */
  imagesPerRun?: number;
}

/** Options for {@link Descry.adapt}. */
export interface AdaptOptions extends RunOptions {
  /** An existing cache to grow; default: a new one. */
  cache?: TfupCache;
  /** Class weights to build on: template ensembles (default) or descriptor means. */
  weights?: 'templates' | 'descriptions';
  /** Cache-building parameters (the paper's defaults otherwise). */
  options?: Partial<TfupCacheOptions>;
  /** What transparent pixels become for these images (default: the instance's `background`). */
  background?: ImageBackground;
  /** Images per vision-tower run (default: the instance's `imagesPerRun`). */
  imagesPerRun?: number;
}

/**
 * Labelled images to calibrate on: images with their true labels, or image embeddings (from
 * {@link Descry.embedImages}, rows in order) with one true label per row.
 */
export type LabelledImages =
  | readonly { image: ImageInput; label: string }[]
  | { embeddings: Matrix; labels: readonly string[] };

/** Options for {@link Descry.calibrate}. */
export interface CalibrationOptions extends RunOptions {
  /** Miscoverage: sets hold the true label at least 1 − α of the time. In (0, 1). */
  alpha: number;
  /**
   * The classification method whose scores are calibrated, with its options (`aggregation` for
   * descriptions, `reweight` and `includeLabel` for subclasses): classify with the same to get
   * sets. Default 'zeroshot'.
   */
  method?: 'zeroshot' | 'descriptions' | 'subclasses';
  aggregation?: PredictOptions['aggregation'];
  reweight?: boolean;
  includeLabel?: boolean;
  /** Nonconformity score (sdk/predictors/conformal.ts): 'lac' (default), 'aps' or 'raps'. */
  score?: ConformalMethod;
  /** RAPS: ranks up to `kReg` are free (default 1). */
  kReg?: number;
  /** RAPS: penalty per rank beyond `kReg` (default 0.001). */
  lambda?: number;
  /**
   * Also fit a "none of these" threshold on this confidence of the same images: sets then
   * abstain (reason 'none_of_these') for images below it, at most α of those whose label is
   * among the candidates. 'cosine' (the top cosine) separates best in bench:methods.
   */
  noneOfThese?: ConfidenceMeasure;
  /** What transparent pixels become (default: the instance's `background`). */
  background?: ImageBackground | undefined;
  /** Images per vision-tower run (default: the instance's `imagesPerRun`). */
  imagesPerRun?: number;
}

export type { LoadOptions, ModelSource };

/** A CLIP-family model ready to classify. */
export class Descry {
  readonly info: ModelInfo;
  readonly #model: Awaited<ReturnType<typeof loadModel>>;
  readonly #pixelBuffers = new PixelBufferPool();
  readonly #prompts: PromptEmbeddingCache;
  readonly #maxImagePixels: number;
  readonly #background: ImageBackground;
  readonly #imagesPerRun: number;
  /** The smallest decode the model needs, when large JPEGs may be decoded reduced. */
  readonly #minDecodeSize: { width: number; height: number } | undefined;

  private constructor(model: Awaited<ReturnType<typeof loadModel>>, options: LoadOptions) {
    this.#model = model;
    this.info = model.info;
    this.#maxImagePixels = options.maxImagePixels ?? 40_000_000;
    this.#background = options.background ?? DEFAULT_BACKGROUND;
    this.#imagesPerRun = positiveCount(options.imagesPerRun, 8, 'imagesPerRun');
    this.#minDecodeSize =
      options.jpegDctScaling === false ? undefined : minimumDecodeSize(model.preprocessor);
    this.#prompts = new PromptEmbeddingCache(
      (texts) => model.text.embed(texts),
      positiveCount(options.promptsPerRun, 128, 'promptsPerRun'),
    );
  }

  /**
   * Load a model. Only config.json and preprocessor_config.json are read now; the encoders load
   * on first use, each separately.
   */
  static async load(source: ModelSource, options: LoadOptions = {}): Promise<Descry> {
    return new Descry(await loadModel(source, options), options);
  }

  /** Whether each encoder has been loaded (the text encoder stays unloaded with compiled classifiers). */
  get loaded(): { text: boolean; vision: boolean } {
    return { text: this.#model.text.loaded, vision: this.#model.vision.loaded };
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

  /**
   * Embed images; rows are L2-normalised, in input order. Downloads overlap; decoding and
   * preprocessing go one image at a time, so a call holds one decoded image rather than all of
   * them, and each is resized while it is still in cache. The images run through the vision tower
   * `imagesPerRun` at a time, and the next run's images are decoded while the tower works on the
   * current run (ONNX Runtime computes off the JavaScript thread in Node), so with several runs an
   * image costs about max(decode, inference) rather than their sum, for one extra run's pixels in
   * memory. Each decode and each tower run is one unit of `options.schedule`.
   */
  async embedImages(images: readonly ImageInput[], options: EmbedImagesOptions = {}): Promise<Matrix> {
    if (images.length === 0) throw new InvalidInputError('invalid_input', 'no images given');
    const background = options.background ?? this.#background;
    resolveBackground(background); // a bad option fails before any image is fetched or decoded
    const perRun = positiveCount(options.imagesPerRun, this.#imagesPerRun, 'imagesPerRun');
    const decode = { maxPixels: this.#maxImagePixels, minSize: this.#minDecodeSize };
    const inputs = await Promise.all(images.map((image) => readImageInput(image, decode)));
    const parts: Matrix[] = [];
    let encoding: Promise<Matrix> | undefined;
    try {
      for (let start = 0; start < inputs.length; start += perRun) {
        const run = inputs.slice(start, start + perRun);
        const pixels = await runUnit(options, { kind: 'decode', count: run.length }, async () => {
          const batch = new PixelBatchWriter(run.length, this.#model.preprocessor, { background }, (length) =>
            this.#pixelBuffers.acquire(length),
          );
          for (const input of run)
            batch.add(input instanceof Uint8Array ? await decodeImage(input, decode) : input);
          return batch.finish();
        });
        // At most one run in the tower and one decoded waiting for it.
        if (encoding) parts.push(await encoding);
        encoding = runUnit(options, { kind: 'vision', count: run.length }, async () => {
          try {
            return await this.#model.vision.embed(pixels.data, pixels.dims);
          } finally {
            this.#pixelBuffers.release(pixels.data);
          }
        });
      }
      parts.push(await encoding!);
    } catch (error) {
      // A failed decode must not leave the run in the tower to reject with nobody listening.
      await encoding?.catch(() => undefined);
      throw error;
    }
    return parts.length === 1 ? parts[0]! : stackRows(parts);
  }

  /**
   * What encoding `texts` would cost the text tower now, in tokens: prompts this instance has
   * encoded before cost nothing (they come from its cache). For budgets: a server refuses a request
   * whose text work is over its limit before any of it runs. Reads the tokenizer, not the model.
   */
  async promptTokens(texts: readonly string[]): Promise<number> {
    const uncached = this.#prompts.uncached(texts);
    return uncached.length === 0 ? 0 : this.#model.text.tokenCost(uncached);
  }

  /** Embed texts as they are (no template); rows are L2-normalised. */
  async embedTexts(texts: readonly string[], options: RunOptions = {}): Promise<Matrix> {
    if (texts.length === 0) throw new InvalidInputError('invalid_input', 'no texts given');
    return this.#prompts.embed(texts, options);
  }

  /**
   * Compile a label set (and optional descriptors and subclasses) into a classifier for this
   * model. Every prompt goes through the prompt cache, each text-tower run one unit of
   * `options.schedule`.
   */
  compile(spec: ClassifierSpec, options: RunOptions = {}): Promise<CompiledClassifier> {
    return compileClassifier(spec, (prompts, run) => this.#prompts.embed(prompts, run), this.info, options);
  }

  /** Load a serialised classifier, refusing one compiled for another model. */
  loadClassifier(bytes: Uint8Array): CompiledClassifier {
    return CompiledClassifier.fromBytes(bytes, this.info.fingerprint);
  }

  /**
   * Classify images against labels or a compiled classifier: one result per image, predictions
   * best first in the method's order (by score, or FuDD's re-ranking).
   */
  async classify(
    images: ImageInput | readonly ImageInput[],
    target: readonly string[] | CompiledClassifier,
    options: ClassifyOptions = {},
  ): Promise<ClassificationResult[]> {
    const list = Array.isArray(images) ? (images as readonly ImageInput[]) : [images as ImageInput];
    if (options.background !== undefined) resolveBackground(options.background);
    const classifier = await this.#classifierFor(target, options);
    // Sets asked for that cannot be built are refused before any image is decoded.
    calibrationFor(classifier, options);
    const embeddings = await this.embedImages(list, {
      background: options.background,
      signal: options.signal,
      schedule: options.schedule,
      ...(options.imagesPerRun === undefined ? {} : { imagesPerRun: options.imagesPerRun }),
    });
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
   * Calibrate `classifier` by split conformal prediction on labelled images like those it will
   * classify: returns the classifier with the fitted calibration, whose classifications by the
   * same method (and method options) then carry a prediction set per image that holds the true
   * label with probability at least 1 − α (marginally, for images exchangeable with these). The
   * calibration travels with the classifier (`toBytes`) and is refused by other weights.
   *
   * Everything that can be checked is checked before any image is embedded: the model, the
   * labels, that the classifier has what the method needs, and that there are enough images for
   * α (at α = 0.1, 9; at 0.05, 19). The images are embedded through `options.schedule`.
   *
   * @throws InvalidInputError `calibration_too_small` (saying how many images α needs), or
   *   `invalid_input` for a label not in the classifier, a method the classifier cannot score
   *   (subclasses or descriptors missing) or that cannot be calibrated, or bad options;
   *   ModelMismatchError for a classifier compiled for another model.
   */
  async calibrate(
    classifier: CompiledClassifier,
    labelled: LabelledImages,
    options: CalibrationOptions,
  ): Promise<CompiledClassifier> {
    classifier.assertModel(this.info.fingerprint, this.info.id);
    const given = 'embeddings' in labelled ? labelled : undefined;
    const items = given ? undefined : (labelled as readonly { image: ImageInput; label: string }[]);
    if (!given && !Array.isArray(items)) {
      throw new InvalidInputError(
        'invalid_input',
        'labelled images must be a list of { image, label } or { embeddings, labels }',
      );
    }
    const truth = given ? [...given.labels] : items!.map((item) => item?.label);
    const count = given ? given.embeddings.rows : items!.length;
    if (truth.length !== count) {
      throw new InvalidInputError('invalid_input', `${count} image embeddings but ${truth.length} labels`);
    }
    const known = new Set(classifier.labels);
    truth.forEach((label, i) => {
      if (typeof label !== 'string' || !known.has(label)) {
        throw new InvalidInputError(
          'invalid_input',
          `calibration image ${i} is labelled ${JSON.stringify(label)}, which is not one of the classifier's labels`,
          { details: { image: i, label } },
        );
      }
    });
    const method = options.method ?? 'zeroshot';
    const predictor: CalibratedPredictor | undefined = predictorOf(method, options);
    if (!predictor) {
      throw new InvalidInputError(
        'invalid_input',
        `method must be 'zeroshot', 'descriptions' or 'subclasses' to calibrate, not ${JSON.stringify(method)}`,
        { details: { method } },
      );
    }
    if (method === 'subclasses' && !classifier.hasSubclasses) {
      throw new InvalidInputError('invalid_input', 'this classifier was compiled without subclasses');
    }
    if (method === 'descriptions' && !classifier.hasDescriptors) {
      throw new InvalidInputError('invalid_input', 'this classifier was compiled without descriptors');
    }
    assertCalibrationSize(count, options.alpha);
    if (options.background !== undefined) resolveBackground(options.background);
    const embeddings =
      given?.embeddings ??
      (await this.embedImages(
        items!.map((item) => item.image),
        {
          background: options.background,
          signal: options.signal,
          schedule: options.schedule,
          ...(options.imagesPerRun === undefined ? {} : { imagesPerRun: options.imagesPerRun }),
        },
      ));
    const fitted = calibrate(classifier, embeddings, truth as string[], {
      alpha: options.alpha,
      scoring: this.#scoring(),
      predictor,
      ...(options.score === undefined ? {} : { method: options.score }),
      ...(options.kReg === undefined ? {} : { kReg: options.kReg }),
      ...(options.lambda === undefined ? {} : { lambda: options.lambda }),
      ...(options.noneOfThese === undefined ? {} : { noneOfThese: options.noneOfThese }),
    });
    return classifier.withCalibration(fitted);
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
      'data' in images
        ? images
        : await this.embedImages(images, {
            background: options.background,
            signal: options.signal,
            schedule: options.schedule,
            ...(options.imagesPerRun === undefined ? {} : { imagesPerRun: options.imagesPerRun }),
          });
    const weights = options.weights === 'descriptions' ? descriptorMeans(classifier) : classifier.weights;
    return options.cache
      ? extendTfupCache(options.cache, features, weights)
      : buildTfupCache(features, weights, options.options);
  }

  async #classifierFor(
    target: readonly string[] | CompiledClassifier,
    options: ClassifyOptions,
  ): Promise<CompiledClassifier> {
    if (target instanceof CompiledClassifier) {
      target.assertModel(this.info.fingerprint, this.info.id);
      if (options.subclasses !== undefined) {
        throw new InvalidInputError(
          'invalid_input',
          'subclasses are compiled into a classifier: give them with plain labels, or compile them in',
        );
      }
      return target;
    }
    // Awaited, not returned: workerd reports a returned rejected promise as unhandled.
    return await this.compile(
      {
        labels: target,
        ...(options.templates ? { templates: options.templates } : {}),
        ...(options.descriptors ? { descriptors: options.descriptors } : {}),
        ...(options.descriptorTemplate ? { descriptorTemplate: options.descriptorTemplate } : {}),
        ...(options.subclasses !== undefined ? { subclasses: options.subclasses } : {}),
        ...(options.subclassTemplates ? { subclassTemplates: options.subclassTemplates } : {}),
      },
      { signal: options.signal, schedule: options.schedule },
    );
  }

  async #rank(
    embeddings: Matrix,
    classifier: CompiledClassifier,
    options: ClassifyOptions,
  ): Promise<ClassificationResult[]> {
    options.signal?.throwIfAborted();
    const run = { signal: options.signal, schedule: options.schedule };
    return predict(embeddings, classifier, this.#scoring(), options, (texts) => this.embedTexts(texts, run));
  }

  #scoring(): ModelScoring {
    const { config } = this.#model;
    return {
      logitScale: config.logitScale,
      logitBias: config.logitBias,
      activation: config.profile.scoring.activation,
    };
  }
}

/** `value` when it is a positive integer, `fallback` when undefined; a typed error otherwise. */
function positiveCount(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidInputError('invalid_input', `${name} must be a positive integer`, {
      details: { [name]: value },
    });
  }
  return value;
}
