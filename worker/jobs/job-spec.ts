/**
 * A batch job as it is asked for (the POST /v1/jobs body), as it is stored (the spec every
 * consumer reads), and where its objects live in the results bucket:
 *
 *     jobs/{id}/classifier.descry   the classifier, snapshotted when the job starts (with its
 *                                   subclasses and calibration: result lines carry sets)
 *     jobs/{id}/tfup.bin            the TFUP cache, snapshotted (method tfup)
 *     jobs/{id}/pages/000000.json   the keys of each listed page, grouped into shards
 *     jobs/{id}/shards/p000000-s00000.jsonl   result lines, one shard per message
 *     jobs/{id}/summary.json        the final status
 *     jobs/{id}/ledger.jsonl        the ledger (Node with a data folder; on Workers it is the Durable Object)
 *     jobs/by-key/{keyId}/{newest-first}-{id}   the index of each key's jobs (job-index.ts)
 *     jobs/by-time/{newest-first}-{id}          the index of every job (what an admin key lists)
 */
import { z } from '@hono/zod-openapi';
import type { ClassificationMethod, ImageBackground } from 'descry';
import { exactlyOneTarget, targetFields } from '../http/request/fields.js';

export const JobIdSchema = z
  .string()
  .regex(/^job_[0-9a-f]{32}$/, 'job ids look like job_ and 32 hexadecimal digits')
  .openapi({ param: { name: 'id', in: 'path' }, example: 'job_0123456789abcdef0123456789abcdef' });

const BucketNameSchema = z
  .string()
  .min(1)
  .max(64)
  .openapi({ description: 'A source bucket the deployment allows (DESCRY_JOB_BUCKETS)', example: 'IMAGES' });
const ObjectKeySchema = z.string().min(1).max(1024);

export const JobSourceSchema = z
  .union([
    z.object({
      bucket: BucketNameSchema,
      prefix: z.string().max(1024).openapi({ description: 'Every object under this prefix ("" for all)' }),
    }),
    z.object({
      bucket: BucketNameSchema,
      keys: z.array(ObjectKeySchema).min(1).openapi({ description: 'These objects (duplicates count once)' }),
    }),
  ])
  .openapi('JobSource', { example: { bucket: 'IMAGES', prefix: 'photos/2024/' } });

export const JobRequestSchema = z
  .object({
    ...targetFields,
    top_k: z
      .number()
      .int()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: 'Predictions per image (default 5)' }),
    source: JobSourceSchema,
    batch_size: z
      .number()
      .int()
      .min(1)
      .max(64)
      .optional()
      .openapi({ description: 'Images per queue message and result shard (default 16)' }),
  })
  .superRefine(exactlyOneTarget)
  .openapi('JobRequest');

export type JobRequest = z.infer<typeof JobRequestSchema>;

/** Where a job's images come from, as stored. */
export type StoredSource = { bucket: string; prefix: string } | { bucket: string; keys: number };

/** What every part of a job reads: fixed when the job starts. */
export interface JobSpec {
  id: string;
  model: string;
  method: ClassificationMethod;
  topK: number;
  /** Abstain when a conformal set holds more labels (a calibrated classifier's sets). */
  maxSetSize?: number;
  /** The stored classifier the job snapshotted, when it named one. */
  classifier?: string;
  /** What transparent pixels become, as the request gave it (the service's default when absent). */
  background?: ImageBackground;
  labels: number;
  source: StoredSource;
  batchSize: number;
  createdAt: string;
  /**
   * The key id of the API key that created the job (`anonymous` in open dev mode): only that key
   * and admin keys see it. Absent on jobs created before jobs had owners: admin keys only.
   */
  owner?: string;
}

export const DEFAULT_TOP_K = 5;
export const DEFAULT_BATCH_SIZE = 16;

/** A new job id: random, so ids say nothing about other jobs. */
export function newJobId(): string {
  return `job_${crypto.randomUUID().replaceAll('-', '')}`;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Name of shard `index` of listed page `page`: the same on every delivery, so rewrites replace. */
export function shardName(page: number, index: number): string {
  return `p${pad(page, 6)}-s${pad(index, 5)}`;
}

const SHARD_NAME = /^p(\d{6,})-s\d{5,}$/;

/** The page a shard belongs to (from its name), or undefined for a name {@link shardName} did not make. */
export function pageOfShard(shard: string): number | undefined {
  const match = SHARD_NAME.exec(shard);
  return match ? Number(match[1]) : undefined;
}

/** Keys of a job's objects in the results bucket. */
export function jobObjects(id: string) {
  const prefix = `jobs/${id}/`;
  return {
    prefix,
    classifier: `${prefix}classifier.descry`,
    tfup: `${prefix}tfup.bin`,
    page: (page: number) => `${prefix}pages/${pad(page, 6)}.json`,
    shards: `${prefix}shards/`,
    shard: (name: string) => `${prefix}shards/${name}.jsonl`,
    summary: `${prefix}summary.json`,
    ledger: `${prefix}ledger.jsonl`,
  };
}
