/**
 * Batch jobs without Cloudflare (the Node server): source buckets are folders
 * (DESCRY_JOB_BUCKETS="IMAGES=/srv/photos"), results are files under the data folder
 * (`<DESCRY_DATA_DIR>/jobs/<id>/…`, the same layout as in R2), the queue lives in the process.
 *
 * Durable with a data folder: each job's ledger is a log file beside its results
 * (ledger-file.node.ts), and {@link NodeJobs.start} resumes what a previous process left: it
 * rebuilds the outstanding messages of every unfinished job from its ledger and page plans
 * (job-watchdog.ts), removes the temporary files of writes the process was killed in, settles
 * the in-flight shards of cancelled jobs and writes summaries a crash kept from being written.
 * Finished jobs stay readable: their ledger is read again on first use. Without a data folder
 * jobs live in memory and end with the process, as before. One server per data folder.
 *
 * The watchdog runs on a timer: a job that has not moved for DESCRY_JOB_STALL_SECONDS is
 * re-queued or failed, unless its messages are only waiting their turn in a queue that is moving
 * (the queue runs one delivery at a time, so a big job ahead of it is not a stall).
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { folderObjectBucket } from './folder-bucket.node.js';
import { type InProcessQueue, inProcessQueue } from './in-process-queue.js';
import type { JobConfig } from './job-config.js';
import type { JobHost } from './job-host.js';
import {
  isTerminal,
  type JobEvent,
  type JobLedger,
  jobLedger,
  LEDGER_OPERATIONS,
  memoryLedgerStorage,
  serialLedger,
} from './job-ledger.js';
import { JobIdSchema, jobObjects } from './job-spec.js';
import { writeSummaryIfOver } from './job-status.js';
import { watchJob } from './job-watchdog.js';
import { fileLedgerStorage } from './ledger-file.node.js';
import { memoryObjectBucket, type ObjectBucket } from './object-bucket.js';

/** A Node job host and the queue its consumer must be attached to. */
export interface NodeJobs {
  host: JobHost;
  queue: InProcessQueue;
  /**
   * Resume the jobs a previous process left unfinished (with a data folder) and start the
   * watchdog. Call once the queue has its consumer; resolves when every job is re-queued.
   */
  start(): Promise<void>;
  /** Stop the watchdog and the queue. */
  close(): void;
}

const isJobId = (id: string) => JobIdSchema.safeParse(id).success;

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Remove `.*.tmp` files under `folder`: writes a killed process never finished. */
async function removeTemporaryFiles(folder: string): Promise<void> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  await Promise.all(
    entries
      .filter((entry) => entry.isFile() && entry.name.startsWith('.') && entry.name.endsWith('.tmp'))
      .map((entry) => rm(join(entry.parentPath, entry.name), { force: true })),
  );
}

/**
 * Jobs for the Node server; `dataDir` keeps them, and their results, on disk. `onEvent` hears what
 * the ledgers record (jobs started and ended, shards counted), for the server's /metrics.
 */
export function nodeJobHost(
  config: JobConfig,
  dataDir?: string,
  onEvent?: (event: JobEvent) => void,
): NodeJobs {
  const queue = inProcessQueue(config);
  const sources = new Map<string, ObjectBucket>();
  for (const [name, folder] of config.buckets) {
    if (folder) sources.set(name, folderObjectBucket(folder));
  }
  const results = dataDir ? folderObjectBucket(dataDir) : memoryObjectBucket();
  const ledgerFile = (id: string) => (dataDir ? join(dataDir, jobObjects(id).ledger) : undefined);

  /** Ledgers of the jobs this process knows: created here, resumed, or read since it started. */
  const ledgers = new Map<string, JobLedger>();
  /** Jobs the watchdog looks at: not over, as far as it knows. */
  const active = new Set<string>();

  /** The ledger of `id`: known, on disk, new (`create`), or a throwaway that knows no job. */
  async function open(id: string, create: boolean): Promise<JobLedger> {
    const known = ledgers.get(id);
    if (known) return known;
    const file = isJobId(id) ? ledgerFile(id) : undefined;
    const stored = file !== undefined && (await exists(file));
    if (!create && !stored) return serialLedger(jobLedger(memoryLedgerStorage()));
    // Another call may have opened it while this one looked at the disk.
    const raced = ledgers.get(id);
    if (raced) return raced;
    const ledger = serialLedger(jobLedger(file ? fileLedgerStorage(file) : memoryLedgerStorage(), onEvent));
    ledgers.set(id, ledger);
    return ledger;
  }

  function ledger(id: string): JobLedger {
    const known = ledgers.get(id);
    if (known) return known;
    return Object.fromEntries(
      LEDGER_OPERATIONS.map((operation) => [
        operation,
        async (...args: unknown[]) => {
          const opened = await open(id, operation === 'create');
          if (operation === 'create') active.add(id);
          return (opened[operation] as (...a: unknown[]) => Promise<unknown>)(...args);
        },
      ]),
    ) as unknown as JobLedger;
  }

  const host: JobHost = {
    config,
    source: (name) => sources.get(name),
    results,
    resultsLocation: dataDir ? 'DESCRY_DATA_DIR' : 'memory',
    ledger,
    enqueue: (messages) => queue.enqueue(messages),
  };
  const watched = (id: string) => ({ ledger: ledger(id), host });

  /** Pick up every job a previous process left in the data folder. */
  async function resume(): Promise<void> {
    if (!dataDir) return;
    const folder = join(dataDir, 'jobs');
    const ids = (await readdir(folder).catch(() => [] as string[])).filter(isJobId);
    for (const id of ids) {
      const file = ledgerFile(id)!;
      if (!(await exists(file))) continue;
      // A finished job with its summary needs nothing; it is read again when asked for.
      const summary = await results.get(jobObjects(id).summary);
      if (summary) {
        const { status } = JSON.parse(new TextDecoder().decode(await summary.bytes())) as { status: string };
        if (status === 'completed' || status === 'failed') continue;
      }
      try {
        await removeTemporaryFiles(join(folder, id));
        const state = await ledger(id).state();
        if (!state) continue;
        if (isTerminal(state.status)) {
          if (state.status === 'cancelled') await watchJob(watched(id), config, Date.now(), { resume: true });
          else await writeSummaryIfOver(host, state);
          continue;
        }
        active.add(id);
        await watchJob(watched(id), config, Date.now(), { resume: true });
      } catch (error) {
        console.error(`[descry] job ${id} could not be resumed`, error);
      }
    }
  }

  let timer: ReturnType<typeof setInterval> | undefined;
  let watching = false;

  /** One look at every active job. */
  async function tick(): Promise<void> {
    if (watching) return;
    watching = true;
    try {
      const now = Date.now();
      const stallMs = config.stallSeconds * 1000;
      for (const id of [...active]) {
        const state = await ledger(id).state();
        if (!state || (isTerminal(state.status) && Object.keys(state.running).length === 0)) {
          active.delete(id);
          continue;
        }
        // Waiting its turn behind other work that moves is not a stall.
        if (queue.waiting(id) > 0 && now - queue.lastSettled() < stallMs) continue;
        await watchJob(watched(id), config, now).catch((error: unknown) => {
          console.error(`[descry] job ${id}: the watchdog failed`, error);
        });
      }
    } finally {
      watching = false;
    }
  }

  return {
    queue,
    host,
    async start() {
      await resume();
      if (config.stallSeconds > 0 && timer === undefined) {
        // Look four times per stall period (at most every 30 s): a stall is noticed within 1.25 periods.
        const every = Math.min(30_000, Math.max(250, (config.stallSeconds * 1000) / 4));
        timer = setInterval(() => void tick(), every);
        timer.unref();
      }
    },
    close() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      queue.close();
    },
  };
}
