/**
 * Descry in a Web Worker, driven from the page with Descry's own method signatures: the page's
 * thread only posts messages, so a classification never blocks it, whatever the model's size.
 * bench/browser.ts measures why this is a worker of Descry and not onnxruntime-web's proxy
 * worker (`ort.env.wasm.proxy`): the proxy moves only session.run, and decoding, resizing,
 * tokenising and scoring stay on the page's thread, which keeps long tasks for large images.
 *
 * Differences from `Descry`: `load` takes a URL (a string is resolved against the page) and the
 * worker's options; `probe` and `loaded` are not offered; FuDD with a description source (a
 * function) cannot cross to the worker and fails with `invalid_input`. Compiled classifiers stay
 * in the worker; the page gets a `CompiledClassifier` with the same labels and weights (float32),
 * usable with `toBytes()` and with this instance's methods.
 */
import { CompiledClassifier } from '../classifier/compiled.js';
import type {
  AdaptOptions,
  ClassifierSpec,
  ClassifyOptions,
  EmbedImagesOptions,
  ModelInfo,
} from '../descry.js';
import { type DownloadProgress, isHubId } from '../engine/source.js';
import { InvalidInputError } from '../errors.js';
import type { TfupCache } from '../predictors/tfup.js';
import type { ClassificationResult, ImageInput, Matrix } from '../types.js';
import type { ClassifierTransfer, WorkerLoadOptions } from './worker.js';
import { deserializeError, type WorkerRequest, type WorkerResponse } from './worker-protocol.js';

/** Options of {@link DescryWorker.load}. */
export interface DescryWorkerOptions extends WorkerLoadOptions {
  /** Download progress of the model's files, as `Descry.load` reports it. */
  onProgress?: (progress: DownloadProgress) => void;
  /**
   * The worker running `serveDescry()`, or a function that starts it. Default: descry-worker.js
   * next to this module, as the standalone build ships it; apps that bundle Descry start their own.
   */
  worker?: Worker | (() => Worker);
}

/** File name of the worker the standalone build puts next to descry.js (a variable: bundlers leave it be). */
const STANDALONE_WORKER = 'descry-worker.js';

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** A Descry instance that lives in a Web Worker. */
export class DescryWorker {
  readonly info: ModelInfo;
  readonly #worker: Worker;
  readonly #pending: Map<number, Pending>;
  readonly #next: { id: number };
  /** Handles of classifiers the worker holds, by the page's object. */
  readonly #handles = new WeakMap<CompiledClassifier, number>();
  #pageHandles = 0;

  private constructor(worker: Worker, pending: Map<number, Pending>, next: { id: number }, info: ModelInfo) {
    this.#worker = worker;
    this.#pending = pending;
    this.#next = next;
    this.info = info;
  }

  /** Start the worker and load the model at `source` (a model folder's URL or a hub id) in it. */
  static async load(source: string | URL, options: DescryWorkerOptions = {}): Promise<DescryWorker> {
    const { worker: given, onProgress, ...load } = options;
    const worker =
      typeof given === 'function'
        ? given()
        : (given ?? new Worker(new URL(STANDALONE_WORKER, import.meta.url), { type: 'module' }));
    const pending = new Map<number, Pending>();
    const next = { id: 1 };
    // The encoders download on first use, after `load` answered: progress comes under load's id.
    const loadId = next.id;
    worker.addEventListener('message', (event: MessageEvent<WorkerResponse>) => {
      const message = event.data;
      if ('progress' in message) {
        if (message.id === loadId) onProgress?.(message.progress as DownloadProgress);
        return;
      }
      const call = pending.get(message.id);
      if (!call) return;
      pending.delete(message.id);
      if (message.ok) call.resolve(message.value);
      else call.reject(deserializeError(message.error));
    });
    worker.addEventListener('error', (event: ErrorEvent) => {
      const error = new InvalidInputError('invalid_input', `the Descry worker failed: ${event.message}`);
      for (const call of pending.values()) call.reject(error);
      pending.clear();
    });
    const spec = typeof source === 'string' && !isHubId(source) ? pageUrl(source) : source.toString();
    try {
      const info = (await post(worker, pending, next, 'load', [spec, load], {})) as ModelInfo;
      return new DescryWorker(worker, pending, next, info);
    } catch (error) {
      worker.terminate();
      throw error;
    }
  }

  /** Embed images; rows are L2-normalised, in input order. */
  async embedImages(images: readonly ImageInput[], options: EmbedImagesOptions = {}): Promise<Matrix> {
    return (await this.#call('embedImages', [images.map(cloneableImage), options])) as Matrix;
  }

  /** Embed texts as they are (no template); rows are L2-normalised. */
  async embedTexts(texts: readonly string[]): Promise<Matrix> {
    return (await this.#call('embedTexts', [[...texts]])) as Matrix;
  }

  /** Compile a label set (and optional descriptors) into a classifier for this model. */
  async compile(spec: ClassifierSpec): Promise<CompiledClassifier> {
    return this.#received((await this.#call('compile', [spec])) as ClassifierTransfer);
  }

  /** Load a serialised classifier, refusing one compiled for another model. */
  loadClassifier(bytes: Uint8Array): CompiledClassifier {
    return CompiledClassifier.fromBytes(bytes, this.info.fingerprint);
  }

  /** Classify images against labels or a compiled classifier, as `Descry.classify`. */
  async classify(
    images: ImageInput | readonly ImageInput[],
    target: readonly string[] | CompiledClassifier,
    options: ClassifyOptions = {},
  ): Promise<ClassificationResult[]> {
    const list = Array.isArray(images) ? (images as readonly ImageInput[]) : [images as ImageInput];
    return (await this.#call(
      'classify',
      [list.map(cloneableImage), this.#target(target), options],
      options.signal,
    )) as ClassificationResult[];
  }

  /** Classify embeddings from {@link DescryWorker.embedImages}, as `Descry.classifyEmbeddings`. */
  async classifyEmbeddings(
    embeddings: Matrix,
    target: readonly string[] | CompiledClassifier,
    options: ClassifyOptions = {},
  ): Promise<ClassificationResult[]> {
    return (await this.#call(
      'classifyEmbeddings',
      [embeddings, this.#target(target), options],
      options.signal,
    )) as ClassificationResult[];
  }

  /** The class pairs FuDD would ask an LLM about, as `Descry.confusedPairs`. */
  async confusedPairs(
    images: readonly ImageInput[] | Matrix,
    classifier: CompiledClassifier,
    k = 10,
  ): Promise<Array<[string, string]>> {
    const input = Array.isArray(images) ? images.map(cloneableImage) : images;
    return (await this.#call('confusedPairs', [input, this.#target(classifier), k])) as Array<
      [string, string]
    >;
  }

  /** TFUP's feature cache, as `Descry.adapt`. */
  async adapt(
    classifier: CompiledClassifier,
    images: readonly ImageInput[] | Matrix,
    options: AdaptOptions = {},
  ): Promise<TfupCache> {
    const input = Array.isArray(images) ? images.map(cloneableImage) : images;
    return (await this.#call('adapt', [this.#target(classifier), input, options])) as TfupCache;
  }

  /** Stop the worker; pending calls fail. */
  terminate(): void {
    this.#worker.terminate();
    const error = new InvalidInputError('invalid_input', 'the Descry worker was terminated');
    for (const call of this.#pending.values()) call.reject(error);
    this.#pending.clear();
  }

  #call(op: string, args: unknown[], signal?: AbortSignal): Promise<unknown> {
    return post(this.#worker, this.#pending, this.#next, op, args, { signal });
  }

  /** A classifier as the worker knows it: its handle, with the bytes the first time. */
  #target(target: readonly string[] | CompiledClassifier): unknown {
    if (!(target instanceof CompiledClassifier)) return [...target];
    const known = this.#handles.get(target);
    if (known !== undefined) return { handle: known };
    const handle = -++this.#pageHandles;
    this.#handles.set(target, handle);
    return { handle, bytes: target.toBytes('float32') };
  }

  #received(transfer: ClassifierTransfer): CompiledClassifier {
    const classifier = CompiledClassifier.fromBytes(transfer.bytes, this.info.fingerprint);
    this.#handles.set(classifier, transfer.handle);
    return classifier;
  }
}

function post(
  worker: Worker,
  pending: Map<number, Pending>,
  next: { id: number },
  op: string,
  args: unknown[],
  extra: { signal?: AbortSignal | undefined },
): Promise<unknown> {
  const { signal } = extra;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const id = next.id++;
  return new Promise((resolve, reject) => {
    // The signal cannot cross; the worker gets one of its own and an 'abort' message for it.
    const cloned = args.map((arg) =>
      arg && typeof arg === 'object' && 'signal' in arg ? withoutSignal(arg) : arg,
    );
    const request: WorkerRequest = { id, op, args: cloned };
    try {
      worker.postMessage(request);
    } catch (cause) {
      reject(
        new InvalidInputError(
          'invalid_input',
          `${op}: an argument cannot be sent to the Descry worker (functions, such as a FuDD description source, stay on the page): ${cause instanceof Error ? cause.message : String(cause)}`,
          { cause },
        ),
      );
      return;
    }
    pending.set(id, { resolve, reject });
    signal?.addEventListener(
      'abort',
      () => {
        worker.postMessage({ abort: id });
      },
      { once: true },
    );
  });
}

function withoutSignal(options: object): object {
  const { signal, ...rest } = options as { signal?: AbortSignal };
  return signal ? { ...rest, signal: true } : rest;
}

/** URLs cross as strings, resolved against the page (a worker resolves against its own script). */
function cloneableImage(image: ImageInput): ImageInput {
  if (image instanceof URL) return image.href;
  if (typeof image === 'string') return pageUrl(image);
  return image;
}

function pageUrl(url: string): string {
  try {
    return new URL(url, globalThis.location?.href).href;
  } catch {
    return url;
  }
}
