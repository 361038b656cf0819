/**
 * The Worker's bindings, vars and secrets, as declared in wrangler.toml. The vars are every name
 * of the service's configuration (../service/config.ts), derived from it: a variable added there
 * is a typed binding here.
 */
import type { ServiceVarName } from '../service/config.js';
import type { RateLimitBinding } from '../service/rate-limit.js';

/** The platform bindings of the Descry Worker. */
export interface WorkerPlatformBindings {
  /** Compiled classifiers and LLM description caches. */
  CLASSIFIERS: KVNamespace;
  /** TFUP adaptation caches (R2 for its compare-and-swap). */
  ADAPTATIONS: R2Bucket;
  /** Optional model files under DESCRY_MODEL_R2_PREFIX, when DESCRY_MODEL is "r2". */
  MODEL_BUCKET?: R2Bucket;
  /** Batch jobs: the queue of job messages (its dead-letter queue is consumed by the same Worker). */
  JOB_QUEUE?: Queue<unknown>;
  /** Batch jobs: the ledger of each job, a JobCoordinator Durable Object. */
  JOBS?: DurableObjectNamespace;
  /** Batch jobs: snapshots, page plans, result shards and summaries. */
  JOB_RESULTS?: R2Bucket;
  /** The default source bucket of batch jobs (any R2 binding named in DESCRY_JOB_BUCKETS is one). */
  IMAGES?: R2Bucket;
  /** Workers AI, for DESCRY_LLM = "workers-ai". */
  AI?: Ai;
  /** Per-key rate limits (`[[ratelimits]]`); without it the isolate counts by itself. */
  RATE_LIMITER?: RateLimitBinding;
}

/** Environment of the Descry Worker: its platform bindings and every configuration variable. */
export type WorkerBindings = WorkerPlatformBindings & { [Name in ServiceVarName]?: string };
