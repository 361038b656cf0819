/**
 * What a deployment tunes about batch jobs: a section of the service configuration
 * (../service/config.ts). The source bucket names are the ones clients use in `source.bucket`: on
 * Workers each is an R2 binding, on Node a folder given as `NAME=path`. A bucket not listed cannot
 * be read by a job, so a client can never point one at the model or the adaptation caches.
 *
 * The stall time must exceed what a job can wait without anything going wrong: the retries of a
 * failing message (5 + 10 + 20 + 40 + 80 s with the default delay) and, on Workers, the backlog of
 * other jobs' messages ahead of it (on Node the watchdog knows when a job is only waiting its turn).
 */
import { readVars, type VarValues, vars } from 'descry';

/** The job variables. */
export const JOB_VARS = {
  buckets: vars.text(
    'DESCRY_JOB_BUCKETS',
    'source buckets jobs may read: R2 binding names (Workers), `NAME=folder` pairs (Node), comma-separated',
    'IMAGES',
  ),
  maxKeys: vars.integer('DESCRY_JOB_MAX_KEYS', 'longest `source.keys` list of a job', 10_000, 1),
  retryDelaySeconds: vars.integer(
    'DESCRY_JOB_RETRY_DELAY_SECONDS',
    'first retry delay of a failed job message, doubled per delivery (15 min at most)',
    5,
    0,
  ),
  maxAttempts: vars.integer(
    'DESCRY_JOB_MAX_ATTEMPTS',
    'deliveries of one message before it is dead-lettered (Workers: `max_retries` + 1 in wrangler.toml)',
    6,
    1,
    { hosts: 'node' },
  ),
  stallSeconds: vars.integer(
    'DESCRY_JOB_STALL_SECONDS',
    'a job with no progress for this long is stalled: the watchdog re-queues its missing shards, or fails it (0: no watchdog)',
    600,
    0,
  ),
  stallRounds: vars.integer(
    'DESCRY_JOB_STALL_ROUNDS',
    'watchdog re-queues of a stalled job, without progress in between, before it is marked failed',
    3,
    1,
  ),
  deadLetterQueue: vars.text(
    'DESCRY_JOB_DEAD_LETTER_QUEUE',
    "the dead-letter queue's name, as in wrangler.toml",
    'descry-jobs-dlq',
    { hosts: 'workers' },
  ),
} as const;

/** Resolved job settings. */
export interface JobConfig extends Omit<VarValues<typeof JOB_VARS>, 'buckets'> {
  /** Source bucket name → folder (Node) or `undefined` (Workers: the binding of that name). */
  buckets: Map<string, string | undefined>;
}

/** `DESCRY_JOB_BUCKETS` as a map of name → folder. */
function bucketMap(text: string): Map<string, string | undefined> {
  const buckets = new Map<string, string | undefined>();
  for (const entry of text.split(',')) {
    const [name, ...path] = entry.split('=');
    const trimmed = name?.trim();
    if (!trimmed) continue;
    buckets.set(trimmed, path.length > 0 ? path.join('=').trim() : undefined);
  }
  return buckets;
}

/** The job settings of resolved job variables. */
export function jobConfigOf(values: VarValues<typeof JOB_VARS>): JobConfig {
  return { ...values, buckets: bucketMap(values.buckets) };
}

/** Read the job settings from a flat record of variables; throws ConfigError on a malformed one. */
export function readJobConfig(source: Readonly<Record<string, unknown>>): JobConfig {
  return jobConfigOf(readVars(JOB_VARS, source));
}

/** Delay before delivery `attempts` + 1 of a failed message: exponential, capped at 15 minutes. */
export function retryDelay(config: JobConfig, attempts: number): number {
  return Math.min(900, config.retryDelaySeconds * 2 ** Math.max(0, attempts - 1));
}
