/**
 * A Node server killed mid-job (`kill -9`, no chance to clean up) and started again on the same
 * data folder: the job it was running resumes and completes with every image exactly once, counted
 * per key over every shard file, and a job completed before the crash is still there. The server
 * is a child process started as an operator starts it (tests/jobs/support/server-process.ts).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseResultLines, type ResultLine } from 'descry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobStatusBody } from '../../worker/jobs/job-status.js';
import { TEST_LIMITS, TEST_VARS } from '../worker/support/test-vars.js';
import {
  AUTH,
  type Call,
  jobStatus,
  keyCounts,
  resultLines,
  startJob,
  waitForJob,
} from './support/job-client.js';
import { badObjects, gradientPng } from './support/job-images.js';
import { type ServerProcess, startServerProcess } from './support/server-process.js';

const IMAGES = 600;
const LABELS = ['a red gradient', 'a green gradient', 'a blue gradient', 'a grey gradient'];
let bucket: string;
let dataDir: string;
let keys: string[];
let server: ServerProcess | undefined;
const call: Call = (path, init) => fetch(`${server!.url}${path}`, init);

function start(): Promise<ServerProcess> {
  return startServerProcess({
    ...TEST_VARS,
    DESCRY_DATA_DIR: dataDir,
    DESCRY_JOB_BUCKETS: `IMAGES=${bucket}`,
  });
}

/** Every line of every shard file of job `id`, read from the data folder. */
async function shardFileLines(id: string): Promise<{ files: string[]; lines: ResultLine[] }> {
  const folder = join(dataDir, 'jobs', id, 'shards');
  const files = (await readdir(folder)).sort();
  const texts = await Promise.all(files.map((file) => readFile(join(folder, file), 'utf8')));
  return { files, lines: texts.flatMap((text) => parseResultLines(text)) };
}

beforeAll(async () => {
  bucket = await mkdtemp(join(tmpdir(), 'descry-crash-bucket-'));
  dataDir = await mkdtemp(join(tmpdir(), 'descry-crash-data-'));
  await mkdir(join(bucket, 'photos'), { recursive: true });
  keys = [];
  for (let i = 0; i < IMAGES; i++) {
    const key = `photos/${String(i).padStart(4, '0')}.png`;
    keys.push(key);
    await writeFile(join(bucket, key), gradientPng(i, 32));
  }
  // Two objects that cannot be classified: error lines, counted as failed, once each too.
  for (const object of badObjects(TEST_LIMITS.maxImagePixels).slice(0, 2)) {
    keys.push(`photos/bad-${object.name}`);
    await writeFile(join(bucket, 'photos', `bad-${object.name}`), object.bytes);
  }
  keys.sort();
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  await rm(bucket, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

describe('a Node server killed mid-job', () => {
  it('resumes the job after a restart: every image exactly once, and finished jobs stay readable', async () => {
    server = await start();
    // A job that completes before the crash.
    const early = await waitForJob(
      call,
      (await startJob(call, { labels: LABELS, source: { bucket: 'IMAGES', keys: keys.slice(0, 5) } })).id,
    );
    expect(early.status).toBe('completed');
    const earlyLines = await resultLines(call, early.id);

    // The job that is killed: small shards, so it is mid-way for a while.
    const job = await startJob(call, {
      labels: LABELS,
      top_k: 2,
      batch_size: 3,
      source: { bucket: 'IMAGES', prefix: 'photos/' },
    });
    let before: JobStatusBody;
    for (;;) {
      before = await jobStatus(call, job.id);
      if (before.counts.done >= 60 || (before.status !== 'listing' && before.status !== 'running')) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await server.stop('SIGKILL');
    const firstOutput = server.output();
    expect(before.status, 'the job must still be running when the server is killed').toBe('running');
    expect(before.counts.done).toBeLessThan(keys.length);

    server = await start();
    const over = await waitForJob(call, job.id);
    expect(over.status, JSON.stringify(over)).toBe('completed');
    expect(over.counts).toEqual({
      total: keys.length,
      queued: 0,
      done: keys.length - 2,
      failed: 2,
      cancelled: 0,
    });
    expect(over.shards).toMatchObject({
      total: Math.ceil(keys.length / 3),
      done: Math.ceil(keys.length / 3),
    });
    // The new process picked the job up where the old one stopped.
    expect(server.output()).toMatch(new RegExp(`job ${job.id}: resuming, re-queueing \\d+ message`));
    expect(firstOutput).not.toMatch(/resuming/);

    // Exactly once per key, over every shard file on disk and over the results stream.
    const { files, lines } = await shardFileLines(job.id);
    expect(files).toHaveLength(Math.ceil(keys.length / 3));
    const fromFiles = keyCounts(lines);
    expect([...fromFiles.keys()].sort()).toEqual(keys);
    expect([...fromFiles.values()].every((n) => n === 1)).toBe(true);
    const streamed = await resultLines(call, job.id);
    expect(streamed).toHaveLength(keys.length);
    expect([...keyCounts(streamed).values()].every((n) => n === 1)).toBe(true);
    // No half-written file is left behind by the killed process.
    const leftovers = (await readdir(join(dataDir, 'jobs', job.id), { recursive: true })).filter((name) =>
      name.endsWith('.tmp'),
    );
    expect(leftovers).toEqual([]);
    const summary = JSON.parse(await readFile(join(dataDir, over.results.summary), 'utf8'));
    expect(summary).toMatchObject({ id: job.id, status: 'completed', counts: over.counts });

    // The job finished before the crash is still readable, with the same lines.
    const again = await jobStatus(call, early.id);
    expect(again).toMatchObject({ status: 'completed', counts: early.counts });
    expect(await resultLines(call, early.id)).toEqual(earlyLines);
    // And both are still listed for their key, newest first.
    const listed = (await (await call('/v1/jobs', { headers: AUTH })).json()) as {
      jobs: Array<{ id: string }>;
    };
    expect(listed.jobs.map((j) => j.id)).toEqual([job.id, early.id]);
  });
});
