/**
 * The Node server's watchdog, with a stall time of one second: a job whose queue messages were
 * lost (started through the real producer, over the server's own ledger and data folder, with
 * every message dropped on the way to the queue) is noticed and finished by the shards the
 * watchdog re-queues; a job whose missing work cannot be rebuilt (its page plan is gone) is marked
 * failed with the reason. Everything else is the server's: its consumer, queue, ledger files.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeDeps } from '../../worker/hosts/node-server.node.js';
import { createApp } from '../../worker/http/app.js';
import { keyIdOf } from '../../worker/http/middleware/api-key-auth.js';
import { startJob as produceJob } from '../../worker/jobs/job-producer.js';
import { jobObjects } from '../../worker/jobs/job-spec.js';
import { serviceOf } from '../../worker/service/service.js';
import { TEST_KEYS, TEST_VARS } from '../worker/support/test-vars.js';
import { type Call, jobStatus, keyCounts, resultLines, waitForJob } from './support/job-client.js';
import { gradientPng } from './support/job-images.js';

const LABELS = ['a red gradient', 'a green gradient', 'a blue gradient'];
let bucket: string;
let dataDir: string;
let deps: ReturnType<typeof nodeDeps>;
let call: Call;
const keys = Array.from({ length: 20 }, (_, i) => `lost/${String(i).padStart(2, '0')}.png`);

beforeAll(async () => {
  bucket = await mkdtemp(join(tmpdir(), 'descry-watchdog-bucket-'));
  dataDir = await mkdtemp(join(tmpdir(), 'descry-watchdog-data-'));
  await mkdir(join(bucket, 'lost'), { recursive: true });
  for (const [i, key] of keys.entries()) await writeFile(join(bucket, key), gradientPng(i, 32));
  deps = nodeDeps({
    dataDir,
    vars: { ...TEST_VARS, DESCRY_JOB_BUCKETS: `IMAGES=${bucket}`, DESCRY_JOB_STALL_SECONDS: '1' },
  });
  const app = createApp(deps);
  call = async (path, init) => app.request(path, init);
});

afterAll(async () => {
  deps?.close();
  await rm(bucket, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

/** A job over `keys` created by the server's own producer, whose messages never reach the queue. */
async function jobWithLostMessages(): Promise<string> {
  const dropped = { ...deps.jobs!, enqueue: async () => {} };
  const state = await produceJob(
    { host: dropped, service: serviceOf(deps) },
    { labels: LABELS, batch_size: 6, source: { bucket: 'IMAGES', keys } },
    await keyIdOf(TEST_KEYS[0]), // the key job-client's requests use
  );
  return state.spec.id;
}

describe('the Node watchdog', () => {
  it('notices a job whose messages were lost and finishes it with re-queued shards', async () => {
    const id = await jobWithLostMessages();
    // Nothing was queued: without the watchdog the job would stay running forever.
    const stalled = (await deps.jobs!.ledger(id).state())!;
    expect(stalled).toMatchObject({ status: 'running', shards: { total: 4, done: 0 } });
    const over = await waitForJob(call, id, 30_000);
    expect(over.status).toBe('completed');
    expect(over.counts).toEqual({ total: 20, queued: 0, done: 20, failed: 0, cancelled: 0 });
    const counts = keyCounts(await resultLines(call, id));
    expect([...counts.keys()].sort()).toEqual(keys);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it('fails a stalled job whose missing work cannot be rebuilt, with the reason', async () => {
    const id = await jobWithLostMessages();
    await rm(join(dataDir, jobObjects(id).page(0)));
    const over = await waitForJob(call, id, 30_000);
    expect(over.status).toBe('failed');
    expect(over.failure).toMatch(
      /no progress for \d+ s and its missing work cannot be re-queued \(the plan of page 0 is missing\); 20 of 20 listed images have no result line/,
    );
    expect((await jobStatus(call, id)).counts).toMatchObject({ total: 20, queued: 20, done: 0 });
  });
});
