/**
 * Batch jobs without Cloudflare (the Node server): source buckets are folders
 * (DESCRY_JOB_BUCKETS="IMAGES=/srv/photos"), results are files under the data folder
 * (`<DESCRY_DATA_DIR>/jobs/<id>/…`, the same layout as in R2) or in memory without one, the
 * ledger and the queue live in the process.
 */

import { folderObjectBucket } from './folder-bucket.node.js';
import { type InProcessQueue, inProcessQueue } from './in-process-queue.js';
import type { JobConfig } from './job-config.js';
import type { JobHost } from './job-host.js';
import { type JobLedger, jobLedger, memoryLedgerStorage, serialLedger } from './job-ledger.js';
import { memoryObjectBucket, type ObjectBucket } from './object-bucket.js';

/** A Node job host and the queue its consumer must be attached to. */
export interface NodeJobs {
  host: JobHost;
  queue: InProcessQueue;
}

/** Jobs for the Node server; `dataDir` keeps results on disk. */
export function nodeJobHost(config: JobConfig, dataDir?: string): NodeJobs {
  const queue = inProcessQueue(config);
  const sources = new Map<string, ObjectBucket>();
  for (const [name, folder] of config.buckets) {
    if (folder) sources.set(name, folderObjectBucket(folder));
  }
  const ledgers = new Map<string, JobLedger>();
  const ledger = (id: string): JobLedger => {
    const existing = ledgers.get(id);
    if (existing) return existing;
    // Unknown ids get a throwaway ledger: only creating a job keeps one.
    const fresh = serialLedger(jobLedger(memoryLedgerStorage()));
    return {
      ...fresh,
      create: async (spec) => {
        ledgers.set(id, fresh);
        return fresh.create(spec);
      },
    };
  };
  return {
    queue,
    host: {
      config,
      source: (name) => sources.get(name),
      results: dataDir ? folderObjectBucket(dataDir) : memoryObjectBucket(),
      resultsLocation: dataDir ? 'DESCRY_DATA_DIR' : 'memory',
      ledger,
      enqueue: (messages) => queue.enqueue(messages),
    },
  };
}
