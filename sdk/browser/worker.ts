/**
 * The worker side of {@link DescryWorker}: call `serveDescry()` at the top level of a module
 * worker and it answers the page's calls with a Descry instance of its own. Decoding,
 * preprocessing, tokenising, ONNX Runtime and scoring all run here, off the page's thread: with a
 * photo-scale model a classification takes hundreds of milliseconds, which on the page's thread
 * would freeze it (bench/browser.ts measures the page's longest task both ways).
 *
 * A bundler builds the worker from the app's own file:
 *
 *   // descry.worker.ts
 *   import { serveDescry } from 'descry';
 *   serveDescry();
 *
 *   // the page
 *   const descry = await DescryWorker.load(url, {
 *     worker: () => new Worker(new URL('./descry.worker.ts', import.meta.url), { type: 'module' }),
 *   });
 *
 * The standalone build (scripts/build-browser.mjs) ships it as descry-worker.js next to descry.js,
 * which `DescryWorker.load` starts when no `worker` is given.
 */
import type { CompiledClassifier } from '../classifier/compiled.js';
import { Descry, type LoadOptions } from '../descry.js';
import { ortWebBackend } from '../engine/backends/ort-web.js';
import type { BatchingOptions } from '../engine/run-batcher.js';
import type { ModelDtype } from '../engine/towers.js';
import { InvalidInputError } from '../errors.js';
import type { ImageBackground } from '../image/background.js';
import {
  type AbortRequest,
  serializeError,
  type WorkerRequest,
  type WorkerResponse,
} from './worker-protocol.js';

/** What `DescryWorker.load` sends: the cloneable subset of LoadOptions, and the backend's options. */
export interface WorkerLoadOptions {
  dtype?: ModelDtype;
  textDtype?: ModelDtype;
  visionDtype?: ModelDtype;
  logitScale?: number;
  logitBias?: number;
  maxImagePixels?: number;
  background?: ImageBackground;
  jpegDctScaling?: boolean;
  batching?: BatchingOptions;
  revision?: string;
  hubEndpoint?: string;
  /** WebAssembly threads of onnxruntime-web (threads need a cross-origin isolated page). */
  numThreads?: number;
}

/** A compiled classifier as it reaches the page: its handle here and its float32 bytes. */
export interface ClassifierTransfer {
  handle: number;
  bytes: Uint8Array;
}

interface Scope {
  postMessage(message: WorkerResponse, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/** Answer DescryWorker's calls in this worker. Call once, at the worker's top level. */
export function serveDescry(scope: Scope = globalThis as unknown as Scope): void {
  let descry: Descry | undefined;
  const classifiers = new Map<number, CompiledClassifier>();
  const aborts = new Map<number, AbortController>();
  let nextHandle = 1;

  const model = () => {
    if (!descry) throw new InvalidInputError('invalid_input', 'the worker has no model: call load first');
    return descry;
  };
  /** A classifier the page refers to: a handle of ours, or bytes of one made on the page. */
  const classifier = (ref: { handle?: number; bytes?: Uint8Array }) => {
    if (ref.handle !== undefined) {
      const known = classifiers.get(ref.handle);
      if (known) return known;
    }
    if (!ref.bytes) throw new InvalidInputError('invalid_input', 'unknown compiled classifier');
    const loaded = model().loadClassifier(ref.bytes);
    if (ref.handle !== undefined) classifiers.set(ref.handle, loaded);
    return loaded;
  };
  const register = (compiled: CompiledClassifier): ClassifierTransfer => {
    const handle = nextHandle++;
    classifiers.set(handle, compiled);
    return { handle, bytes: compiled.toBytes('float32') };
  };
  /** A target of classify: labels, or a classifier reference. */
  const target = (value: unknown) =>
    Array.isArray(value) ? (value as string[]) : classifier(value as { handle?: number; bytes?: Uint8Array });

  const ops: Record<string, (id: number, args: unknown[]) => Promise<unknown>> = {
    async load(id, [source, options]) {
      const { numThreads, ...rest } = (options ?? {}) as WorkerLoadOptions;
      const load: LoadOptions = {
        ...rest,
        backend: ortWebBackend(numThreads === undefined ? {} : { numThreads }),
        onProgress: (progress) => scope.postMessage({ id, progress }),
      };
      descry = await Descry.load(source as string, load);
      return descry.info;
    },
    async embedImages(_id, [images, options]) {
      return model().embedImages(images as never, options as never);
    },
    async embedTexts(_id, [texts]) {
      return model().embedTexts(texts as string[]);
    },
    async compile(_id, [spec]) {
      return register(await model().compile(spec as never));
    },
    async loadClassifier(_id, [bytes]) {
      return register(model().loadClassifier(bytes as Uint8Array));
    },
    async releaseClassifier(_id, [handle]) {
      classifiers.delete(handle as number);
    },
    async classify(id, [images, to, options]) {
      return model().classify(images as never, target(to), withSignal(id, options));
    },
    async classifyEmbeddings(id, [embeddings, to, options]) {
      return model().classifyEmbeddings(embeddings as never, target(to), withSignal(id, options));
    },
    async confusedPairs(_id, [images, to, k]) {
      return model().confusedPairs(images as never, classifier(to as never), k as number | undefined);
    },
    async adapt(_id, [to, images, options]) {
      return model().adapt(classifier(to as never), images as never, options as never);
    },
    async probe(_id, [bytes]) {
      return model().probe(bytes as Uint8Array);
    },
    async loaded() {
      return model().loaded;
    },
  };

  /** Options with the page's signal replaced by one this worker aborts on an 'abort' message. */
  const withSignal = (id: number, options: unknown) => {
    const given = (options ?? {}) as Record<string, unknown>;
    if (!given.signal) return given;
    const controller = new AbortController();
    aborts.set(id, controller);
    return { ...given, signal: controller.signal };
  };

  scope.addEventListener('message', async (event: MessageEvent<WorkerRequest | AbortRequest>) => {
    const message = event.data;
    if ('abort' in message) {
      aborts.get(message.abort)?.abort(new DOMException('The operation was aborted.', 'AbortError'));
      return;
    }
    const { id, op, args } = message;
    try {
      const run = ops[op];
      if (!run) throw new InvalidInputError('invalid_input', `unknown operation ${op}`);
      const value = await run(id, args);
      scope.postMessage({ id, ok: true, value }, transferables(value));
    } catch (error) {
      scope.postMessage({ id, ok: false, error: serializeError(error) });
    } finally {
      aborts.delete(id);
    }
  });
}

/**
 * Buffers of an answer that this side no longer needs: a classifier's fresh bytes. Embeddings are
 * copied, not moved: the prompt cache keeps the matrices it answers with.
 */
function transferables(value: unknown): Transferable[] {
  const bytes = (value as { bytes?: unknown } | undefined)?.bytes;
  return bytes instanceof Uint8Array && bytes.buffer instanceof ArrayBuffer ? [bytes.buffer] : [];
}
