/**
 * What the HTTP app needs from its host. The Workers entry and the Node server build these once
 * per isolate/process and hand them to `createApp`; the app itself never reads env or disk.
 */
import type { Descry, ModelInfo } from 'descry';
import type { DescriptionSource } from 'descry/llm';
import type { KeyValueStore } from 'descry/store';
import type { JobHost } from '../jobs/job-host.js';
import type { ServiceConfig } from './config.js';
import type { ServiceObserver } from './observer.js';
import type { RateLimiter } from './rate-limit.js';

/** Identity of the loaded model: `Descry.info`. */
export type { ModelInfo };

/** The part of the SDK's {@link Descry} the service uses: its options and results are the SDK's own types. */
export type ClassificationEngine = Pick<
  Descry,
  | 'info'
  | 'probe'
  | 'embedImages'
  | 'embedTexts'
  | 'compile'
  | 'loadClassifier'
  | 'classify'
  | 'classifyEmbeddings'
  | 'adapt'
  | 'promptTokens'
  | 'calibrate'
>;

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
  /** Batch jobs (queue, ledger, buckets); undefined when the host has none configured. */
  jobs?: JobHost;
  /** Per-key rate limits; default an in-process token bucket of the configured size. */
  rateLimiter?: RateLimiter;
  /** Hooks for metrics (Node: Prometheus); default none. */
  observer?: ServiceObserver;
  /** The Prometheus exposition of the observer's metrics, served at GET /metrics when given. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** Where access-log lines go; default console.log. */
  log?: (line: string) => void;
}
