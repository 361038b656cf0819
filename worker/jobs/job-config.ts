/**
 * What a deployment tunes about batch jobs, from Worker vars or process.env. The source bucket
 * names are the ones clients use in `source.bucket`: on Workers each is an R2 binding, on Node a
 * folder given as `NAME=path`. A bucket not listed cannot be read by a job, so a client can never
 * point one at the model or the adaptation caches.
 */

/** Resolved job settings. */
export interface JobConfig {
  /** Source bucket name → folder (Node) or `undefined` (Workers: the binding of that name). */
  buckets: Map<string, string | undefined>;
  /** Most keys a `source.keys` list may hold. */
  maxKeys: number;
  /** First retry delay of a failed message, doubled per attempt (capped at 15 minutes). */
  retryDelaySeconds: number;
  /** Deliveries of one message before it goes to the dead-letter queue (Node; Workers: wrangler.toml max_retries + 1). */
  maxAttempts: number;
  /** Name of the dead-letter queue, whose batches the consumer records as failed shards. */
  deadLetterQueue: string;
}

/** Variable names, shared by wrangler.toml, the Node server and the docs. */
export const JOB_VARS = {
  buckets: 'DESCRY_JOB_BUCKETS',
  maxKeys: 'DESCRY_JOB_MAX_KEYS',
  retryDelaySeconds: 'DESCRY_JOB_RETRY_DELAY_SECONDS',
  maxAttempts: 'DESCRY_JOB_MAX_ATTEMPTS',
  deadLetterQueue: 'DESCRY_JOB_DEAD_LETTER_QUEUE',
} as const;

export const JOB_DEFAULTS = {
  buckets: 'IMAGES',
  maxKeys: 10_000,
  retryDelaySeconds: 5,
  maxAttempts: 6,
  deadLetterQueue: 'descry-jobs-dlq',
} as const;

function count(name: string, value: unknown, fallback: number, minimum: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const parsed = Number(String(value).trim());
  if (!Number.isSafeInteger(parsed) || parsed < minimum) {
    throw new Error(`${name} must be an integer ≥ ${minimum}, got ${JSON.stringify(value)}`);
  }
  return parsed;
}

/** Read the job settings from a flat record of variables; throws a plain Error on a malformed one. */
export function readJobConfig(vars: Record<string, unknown>): JobConfig {
  const rawBuckets = vars[JOB_VARS.buckets];
  const buckets = new Map<string, string | undefined>();
  for (const entry of String(rawBuckets ?? JOB_DEFAULTS.buckets).split(',')) {
    const [name, ...path] = entry.split('=');
    const trimmed = name?.trim();
    if (!trimmed) continue;
    buckets.set(trimmed, path.length > 0 ? path.join('=').trim() : undefined);
  }
  return {
    buckets,
    maxKeys: count(JOB_VARS.maxKeys, vars[JOB_VARS.maxKeys], JOB_DEFAULTS.maxKeys, 1),
    retryDelaySeconds: count(
      JOB_VARS.retryDelaySeconds,
      vars[JOB_VARS.retryDelaySeconds],
      JOB_DEFAULTS.retryDelaySeconds,
      0,
    ),
    maxAttempts: count(JOB_VARS.maxAttempts, vars[JOB_VARS.maxAttempts], JOB_DEFAULTS.maxAttempts, 1),
    deadLetterQueue:
      typeof vars[JOB_VARS.deadLetterQueue] === 'string' && vars[JOB_VARS.deadLetterQueue] !== ''
        ? (vars[JOB_VARS.deadLetterQueue] as string)
        : JOB_DEFAULTS.deadLetterQueue,
  };
}

/** Delay before delivery `attempts` + 1 of a failed message: exponential, capped at 15 minutes. */
export function retryDelay(config: JobConfig, attempts: number): number {
  return Math.min(900, config.retryDelaySeconds * 2 ** Math.max(0, attempts - 1));
}
