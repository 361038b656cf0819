/**
 * The ledger's counts under cancellation, its log file across a restart (and a line cut short by
 * a kill), and the watchdog's decisions, on the real ledger over real storage: a Map, or files in
 * a temporary folder. The queue is the one boundary replaced: the watchdog's `enqueue` records
 * what it sends, which is what these cases are about.
 */
import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJobConfig } from '../../worker/jobs/job-config.js';
import {
  type JobLedger,
  jobLedger,
  type LedgerStorage,
  memoryLedgerStorage,
  type ShardTally,
  serialLedger,
} from '../../worker/jobs/job-ledger.js';
import type { JobMessage, PagePlan } from '../../worker/jobs/job-messages.js';
import { type JobSpec, jobObjects, newJobId, shardName } from '../../worker/jobs/job-spec.js';
import { jobStatus } from '../../worker/jobs/job-status.js';
import { watchJob } from '../../worker/jobs/job-watchdog.js';
import { fileLedgerStorage } from '../../worker/jobs/ledger-file.node.js';
import { memoryObjectBucket, readText } from '../../worker/jobs/object-bucket.js';

const host = { resultsLocation: 'memory' };
const tally = (classified: number, failed = 0): ShardTally => ({
  classified,
  failed,
  errors: failed ? { image_corrupt: failed } : {},
});

function spec(source: JobSpec['source'] = { bucket: 'IMAGES', keys: 16 }): JobSpec {
  return {
    id: newJobId(),
    model: 'm',
    method: 'zeroshot',
    topK: 1,
    labels: 2,
    source,
    batchSize: 4,
    createdAt: new Date().toISOString(),
    owner: 'k1',
  };
}

/** A job of 4 shards of 4 images, listed. */
async function fourShards(storage: LedgerStorage = memoryLedgerStorage()) {
  const ledger = serialLedger(jobLedger(storage));
  await ledger.create(spec());
  await ledger.registerPage(0, { shards: 4, images: 16 }, true);
  const shard = (i: number) => shardName(0, i);
  return { ledger, shard };
}

const counts = async (ledger: JobLedger) => jobStatus((await ledger.state())!, host).counts;

describe('cancelling a job', () => {
  it('counts what was classified, what was in flight, and what never started', async () => {
    const { ledger, shard } = await fourShards();
    await ledger.begin(shard(0), 4);
    await ledger.complete(shard(0), tally(3, 1));
    expect((await ledger.begin(shard(1), 4)).run).toBe(true);
    const cancelled = (await ledger.cancel())!;
    expect(cancelled.status).toBe('cancelled');
    // Shard 1 is in flight: it may land, so it is neither done nor cancelled yet.
    expect(jobStatus(cancelled, host).counts).toEqual({
      total: 16,
      queued: 4,
      done: 3,
      failed: 1,
      cancelled: 8,
    });
    // Shard 2 never began: no delivery starts it now, and a stray completion does not count it.
    expect((await ledger.begin(shard(2), 4)).run).toBe(false);
    expect((await ledger.complete(shard(2), tally(0, 4), 'dead')).counted).toBe(false);
    // Shard 1 lands.
    expect((await ledger.complete(shard(1), tally(4))).counted).toBe(true);
    expect(await counts(ledger)).toEqual({ total: 16, queued: 0, done: 7, failed: 1, cancelled: 8 });
    expect((await ledger.state())!.status).toBe('cancelled');
  });

  it('gives up an in-flight shard that will not land, and takes it back if it does', async () => {
    const { ledger, shard } = await fourShards();
    await ledger.begin(shard(0), 4);
    await ledger.begin(shard(1), 4);
    await ledger.cancel();
    await ledger.abandon(shard(0));
    expect(await counts(ledger)).toEqual({ total: 16, queued: 4, done: 0, failed: 0, cancelled: 12 });
    // A later delivery of shard 1 finds the job cancelled: that shard will not land either.
    expect((await ledger.begin(shard(1), 4)).run).toBe(false);
    expect(await counts(ledger)).toEqual({ total: 16, queued: 0, done: 0, failed: 0, cancelled: 16 });
    // Shard 0 was slow, not lost: it lands after all, once.
    expect((await ledger.complete(shard(0), tally(4))).counted).toBe(true);
    expect((await ledger.complete(shard(0), tally(4))).counted).toBe(false);
    expect(await counts(ledger)).toEqual({ total: 16, queued: 0, done: 4, failed: 0, cancelled: 12 });
  });

  it('does not count pages listed after the cancellation', async () => {
    const ledger = serialLedger(jobLedger(memoryLedgerStorage()));
    await ledger.create(spec({ bucket: 'IMAGES', prefix: 'p/' }));
    await ledger.registerPage(0, { shards: 2, images: 8 }, false);
    await ledger.cancel();
    await ledger.registerPage(1, { shards: 2, images: 8 }, true);
    expect(await counts(ledger)).toEqual({ total: 8, queued: 0, done: 0, failed: 0, cancelled: 8 });
  });
});

describe('the ledger file (Node)', () => {
  it('keeps every count across a reopen, drops a line cut short, and compacts', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'descry-ledger-'));
    const file = join(folder, 'jobs', 'x', 'ledger.jsonl');
    const { ledger, shard } = await fourShards(fileLedgerStorage(file));
    await ledger.begin(shard(0), 4);
    await ledger.complete(shard(0), tally(4));
    await ledger.begin(shard(1), 4);
    // A process killed in the middle of appending a line.
    await appendFile(file, '{"job":{"spec":');
    const reopened = serialLedger(jobLedger(fileLedgerStorage(file)));
    const state = (await reopened.state())!;
    expect(state.images).toMatchObject({ total: 16, classified: 4 });
    expect(state.running).toEqual({ [shard(1)]: 4 });
    expect(await reopened.uncounted([shard(0), shard(1), shard(2)])).toEqual([shard(1), shard(2)]);
    // The cut line is gone, so the next line starts on its own.
    expect((await readFile(file, 'utf8')).endsWith('\n')).toBe(true);
    await reopened.complete(shard(1), tally(4));
    // Many puts of the same records: the log is rewritten once it is mostly stale.
    for (let i = 0; i < 3000; i++) await reopened.recordFailure(shard(2), `attempt ${i} ${'x'.repeat(80)}`);
    expect((await readFile(file, 'utf8')).length).toBeLessThan(300 * 1024);
    const again = serialLedger(jobLedger(fileLedgerStorage(file)));
    expect(await again.lastFailure(shard(2))).toMatch(/^attempt 2999 /);
    expect((await again.state())!.images).toMatchObject({ total: 16, classified: 8 });
    expect(await again.openPages()).toEqual([0]);
  });

  it('refuses a file corrupt before its last line', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'descry-ledger-'));
    const file = join(folder, 'ledger.jsonl');
    await writeFile(file, '{"a":1}\nnot json\n{"b":2}\n');
    await expect(fileLedgerStorage(file).get('a')).rejects.toThrow(/corrupt at line 2/);
  });
});

describe('the watchdog', () => {
  const config = readJobConfig({ DESCRY_JOB_STALL_SECONDS: '60', DESCRY_JOB_STALL_ROUNDS: '2' });

  /** A prefix job with page 0 (3 shards) registered and page 1 to list, and a recording queue. */
  async function stalledJob() {
    const results = memoryObjectBucket();
    const sent: JobMessage[] = [];
    const ledger = serialLedger(jobLedger(memoryLedgerStorage()));
    const { id } = (await ledger.create(spec({ bucket: 'IMAGES', prefix: 'p/' }))).spec;
    const plan: PagePlan = {
      page: 0,
      shards: [0, 1, 2].map((i) => ({ shard: shardName(0, i), keys: [`p/${i}a`, `p/${i}b`] })),
      next: 'p/2b',
    };
    await results.put(jobObjects(id).page(0), JSON.stringify(plan));
    await ledger.registerPage(0, { shards: 3, images: 6 }, false);
    await ledger.begin(shardName(0, 1), 2);
    await ledger.complete(shardName(0, 1), tally(2));
    const job = {
      ledger,
      host: {
        results,
        resultsLocation: 'memory',
        enqueue: async (messages: readonly JobMessage[]) => void sent.push(...messages),
      },
    };
    const movedAt = Date.parse((await ledger.state())!.progressAt);
    return { id, job, sent, results, movedAt };
  }

  it('waits for the stall time, then re-queues exactly the missing shards and the next listing', async () => {
    const { id, job, sent, movedAt } = await stalledJob();
    const early = await watchJob(job, config, movedAt + 59_000);
    expect(early).toMatchObject({ requeued: 0, next: movedAt + 60_000 });
    expect(sent).toEqual([]);
    const round = await watchJob(job, config, movedAt + 60_000);
    expect(round.state?.failure).toBeUndefined();
    expect(round.requeued).toBe(3);
    expect(sent).toEqual([
      { kind: 'classify', job: id, shard: shardName(0, 0), keys: ['p/0a', 'p/0b'] },
      { kind: 'classify', job: id, shard: shardName(0, 2), keys: ['p/2a', 'p/2b'] },
      { kind: 'list', job: id, page: 1, cursor: 'p/2b' },
    ]);
    expect(round.state!.watchdog.rounds).toBe(1);
    // The round resets the clock: nothing again until another stall time has passed.
    expect((await watchJob(job, config, movedAt + 61_000)).requeued).toBe(0);
  });

  it('fails a job that does not move through the configured rounds, saying why', async () => {
    const { job, sent, results, movedAt } = await stalledJob();
    await watchJob(job, config, movedAt + 60_000);
    await watchJob(job, config, movedAt + 120_000);
    expect(sent).toHaveLength(6);
    const last = await watchJob(job, config, movedAt + 180_000);
    expect(last.state!.status).toBe('failed');
    expect(last.state!.failure).toMatch(/no progress for 180 s, through 2 watchdog rounds/);
    expect(last.state!.failure).toMatch(/4 of 6 listed images have no result line/);
    const summary = JSON.parse((await readText(results, jobObjects(last.state!.spec.id).summary))!);
    expect(summary).toMatchObject({ status: 'failed', failure: last.state!.failure });
  });

  it('counts no round once the job moves again', async () => {
    const { job, movedAt } = await stalledJob();
    await watchJob(job, config, movedAt + 60_000);
    await job.ledger.begin(shardName(0, 0), 2);
    await job.ledger.complete(shardName(0, 0), tally(2));
    expect((await job.ledger.state())!.watchdog.rounds).toBe(0);
  });

  it('fails a stalled job whose missing work cannot be rebuilt', async () => {
    const { id, job, results, movedAt } = await stalledJob();
    await results.put(jobObjects(id).page(0), 'null');
    const outcome = await watchJob(job, config, movedAt + 60_000);
    expect(outcome.state!.status).toBe('failed');
    expect(outcome.state!.failure).toMatch(/cannot be re-queued \(the plan of page 0 is missing/);
  });

  it('resumes at once after a restart, without counting a round', async () => {
    const { job, sent, movedAt } = await stalledJob();
    const outcome = await watchJob(job, config, movedAt + 1, { resume: true });
    expect(outcome.requeued).toBe(3);
    expect(sent.map((m) => m.kind)).toEqual(['classify', 'classify', 'list']);
    expect(outcome.state!.watchdog.rounds).toBe(0);
  });
});
