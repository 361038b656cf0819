/**
 * What batch jobs need from the platform they run on, and what job work needs from the service.
 * Workers: R2 buckets, a Durable Object per job, Cloudflare Queues (workers-job-host.ts). Node:
 * folders, an in-process ledger and queue (node-job-host.ts). Producer, consumer and routes are
 * the same code on both.
 */
import type { JobConfig } from './job-config.js';
import type { JobLedger } from './job-ledger.js';
import type { JobMessage } from './job-messages.js';
import type { ObjectBucket } from './object-bucket.js';

/** The platform under batch jobs. */
export interface JobHost {
  config: JobConfig;
  /** The source bucket clients call `name`, or undefined when the deployment does not allow it. */
  source(name: string): ObjectBucket | undefined;
  /** Where snapshots, page plans, result shards and summaries go. */
  results: ObjectBucket;
  /** How status reports name `results` to an operator (a binding name, a setting). */
  resultsLocation: string;
  /** The ledger of job `id`. */
  ledger(id: string): JobLedger;
  /** Send messages to the job queue. */
  enqueue(messages: readonly JobMessage[]): Promise<void>;
}
