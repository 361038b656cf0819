/**
 * Batch jobs on Cloudflare: source buckets and results in R2, the ledger in a Durable Object per
 * job (which also runs the job's watchdog from an alarm), messages on Cloudflare Queues. Jobs are off (their routes answer 503) until wrangler.toml
 * binds JOB_QUEUE, JOBS and JOB_RESULTS.
 */
import type { WorkerBindings } from '../hosts/bindings.js';
import { durableLedger } from './durable-ledger.js';
import type { JobConfig } from './job-config.js';
import type { JobHost } from './job-host.js';
import { queueSender } from './job-messages.js';
import { r2ObjectBucket } from './object-bucket.js';

function isR2Bucket(value: unknown): value is R2Bucket {
  return typeof value === 'object' && value !== null && 'list' in value && 'get' in value && 'put' in value;
}

/** The job host of a Worker environment, or undefined when jobs are not bound. */
export function workersJobHost(env: WorkerBindings, config: JobConfig): JobHost | undefined {
  const { JOB_QUEUE: queue, JOBS: ledgers, JOB_RESULTS: results } = env;
  if (!queue || !ledgers || !results) return undefined;
  const bindings = env as unknown as Record<string, unknown>;
  return {
    config,
    source(name) {
      const binding = bindings[name];
      return config.buckets.has(name) && isR2Bucket(binding) ? r2ObjectBucket(binding) : undefined;
    },
    results: r2ObjectBucket(results),
    resultsLocation: 'JOB_RESULTS',
    ledger: (id) => durableLedger(ledgers, id),
    enqueue: queueSender(queue),
  };
}
