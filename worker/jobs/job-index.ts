/**
 * Which jobs a key has: an index in the results bucket, one small object per job under its
 * owner's key id and one under every job, named so that listing in key order is newest first:
 *
 *     jobs/by-key/{keyId}/{9999999999999 - created ms, 13 digits}-{id}
 *     jobs/by-time/{same}-{id}
 *
 * The same on both hosts (R2 objects in JOB_RESULTS on Workers, files under the data folder on
 * Node), and paged by the bucket's own listing: the cursor clients get is the last name they saw,
 * so a page never repeats or skips a job whatever is created meanwhile (new jobs sort first).
 * The status of each listed job comes from its ledger; the index only says which jobs to read.
 */

import type { JobSpec } from './job-spec.js';
import type { ObjectBucket } from './object-bucket.js';

const NEWEST_FIRST = 9_999_999_999_999;

/** A cursor: an index entry's name. */
export const JOB_CURSOR = /^\d{13}-job_[0-9a-f]{32}$/;

const byKey = (keyId: string) => `jobs/by-key/${keyId}/`;
const ALL = 'jobs/by-time/';

function entryName(spec: JobSpec): string {
  const created = Date.parse(spec.createdAt);
  return `${String(NEWEST_FIRST - created).padStart(13, '0')}-${spec.id}`;
}

/** Record a new job in the index of its owner and in the index of all jobs. */
export async function indexJob(results: ObjectBucket, spec: JobSpec): Promise<void> {
  const name = entryName(spec);
  const body = JSON.stringify({ id: spec.id, owner: spec.owner, created_at: spec.createdAt });
  await Promise.all([
    results.put(`${byKey(spec.owner ?? 'anonymous')}${name}`, body),
    results.put(`${ALL}${name}`, body),
  ]);
}

/** One page of a listing: job ids, newest first, and the cursor of the next page. */
export interface JobIdPage {
  ids: string[];
  cursor?: string;
}

/** Up to `limit` job ids of `owner` (every job's when undefined), newest first, after `cursor`. */
export async function listJobIds(
  results: ObjectBucket,
  owner: string | undefined,
  options: { limit: number; cursor?: string },
): Promise<JobIdPage> {
  const prefix = owner === undefined ? ALL : byKey(owner);
  const page = await results.list({
    prefix,
    limit: options.limit,
    ...(options.cursor ? { startAfter: `${prefix}${options.cursor}` } : {}),
  });
  const names = page.objects
    .map((object) => object.key.slice(prefix.length))
    .filter((n) => JOB_CURSOR.test(n));
  return {
    ids: names.map((name) => name.slice(14)),
    ...(page.cursor !== undefined && names.length > 0 ? { cursor: names.at(-1)! } : {}),
  };
}
