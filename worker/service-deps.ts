/**
 * What the HTTP app needs from its host. The Workers entry and the Node server build these once
 * per isolate/process and hand them to `createApp`; the app itself never reads env or disk.
 */
import type { CompiledClassifier } from '../sdk/classifier/compiled.js';
import type { ModelInfo } from '../sdk/descry.js';
import type { DescriptionSource } from '../sdk/llm/description-source.js';
import type { KeyValueStore } from '../sdk/store/key-value-store.js';
import type {
  ClassificationMethod,
  ClassificationResult,
  DescriptorMap,
  ImageInput,
  Matrix,
} from '../sdk/types.js';
import type { ServiceConfig } from './config.js';

/** Identity of the loaded model: `Descry.info`. */
export type { ModelInfo };

/** Options the service passes to `classify`. */
export interface EngineClassifyOptions {
  method?: ClassificationMethod;
  topK?: number;
  templates?: string[];
  descriptors?: DescriptorMap;
  signal?: AbortSignal;
  [option: string]: unknown;
}

/** The part of the SDK's `Descry` the service uses. */
export interface ClassificationEngine {
  readonly info: ModelInfo;
  embedImages(images: readonly ImageInput[]): Promise<Matrix>;
  embedTexts(texts: readonly string[]): Promise<Matrix>;
  compile(spec: {
    labels: readonly string[];
    templates?: readonly string[];
    descriptors?: DescriptorMap;
  }): Promise<CompiledClassifier>;
  /** Deserialise a stored classifier; ModelMismatchError when it belongs to another model. */
  loadClassifier(bytes: Uint8Array): CompiledClassifier;
  classify(
    images: readonly ImageInput[],
    target: readonly string[] | CompiledClassifier,
    options?: EngineClassifyOptions,
  ): Promise<ClassificationResult[]>;
}

/** Everything `createApp` is given. */
export interface ServiceDeps {
  config: ServiceConfig;
  /** The engine, loaded on first use and then reused; rejects while the model cannot load. */
  engine(): Promise<ClassificationEngine>;
  /** Whether `engine()` has resolved, for readiness checks that must not trigger a load. */
  engineState(): 'idle' | 'loading' | 'ready' | 'failed';
  /** Compiled classifiers and description caches. */
  classifiers: KeyValueStore;
  /** TFUP adaptation caches: written concurrently, so the store must honour `ifVersion`. */
  adaptations: KeyValueStore;
  /** The LLM behind /describe and FuDD; undefined when none is configured. */
  descriptions: DescriptionSource | undefined;
  /** Name of the host runtime for /healthz ('workerd', 'node'). */
  runtime: string;
}
