/** The Worker's bindings, vars and secrets, as declared in wrangler.toml. */

/** Environment of the Descry Worker. */
export interface WorkerBindings {
  /** Compiled classifiers and LLM description caches. */
  CLASSIFIERS: KVNamespace;
  /** TFUP adaptation caches (R2 for its compare-and-swap). */
  ADAPTATIONS: R2Bucket;
  /** Optional model files under MODEL_R2_PREFIX, when DESCRY_MODEL is "r2". */
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
  /** "embedded" (default), "r2", or an https:// base URL of a Hugging Face style model folder. */
  DESCRY_MODEL?: string;
  MODEL_R2_PREFIX?: string;
  /** "none" (default), "workers-ai", "openai-compatible" or "static". */
  DESCRY_LLM?: string;
  LLM_MODEL?: string;
  LLM_BASE_URL?: string;
  /** Secret. */
  LLM_API_KEY?: string;
  LLM_TIMEOUT_MS?: string;
  /** JSON of descriptors/pairs for DESCRY_LLM = "static". */
  LLM_STATIC_DESCRIPTIONS?: string;
  /** Secret: comma-separated bearer keys. */
  DESCRY_API_KEYS?: string;
  DESCRY_DEV?: string;
  DESCRY_CORS_ORIGINS?: string;
  DESCRY_MAX_BODY_BYTES?: string;
  DESCRY_MAX_IMAGE_PIXELS?: string;
  DESCRY_MAX_REQUEST_PIXELS?: string;
  DESCRY_MAX_LABELS?: string;
  DESCRY_MAX_IMAGES?: string;
  DESCRY_MAX_TEXTS?: string;
  DESCRY_MAX_PENDING_REQUESTS?: string;
  DESCRY_INFERENCE_CONCURRENCY?: string;
  /** Memory per isolate the model is sized against, in MB (default 128; "0": no budget). */
  DESCRY_MEMORY_LIMIT_MB?: string;
  /** Comma-separated R2 binding names jobs may read (default IMAGES). */
  DESCRY_JOB_BUCKETS?: string;
  DESCRY_JOB_MAX_KEYS?: string;
  DESCRY_JOB_RETRY_DELAY_SECONDS?: string;
  /** Name of the dead-letter queue (default descry-jobs-dlq), as in wrangler.toml. */
  DESCRY_JOB_DEAD_LETTER_QUEUE?: string;
}
