/// <reference types="@cloudflare/vitest-plugin/types" />
/**
 * Batch jobs inside workerd with the bindings of wrangler.toml, all local (miniflare): R2 for the
 * images and the results, the JobCoordinator Durable Object, Cloudflare Queues with its
 * dead-letter queue. The end-to-end jobs go through the real queue and the Worker's own queue()
 * handler; the delivery cases (a duplicate, a consumer that throws mid-batch, a dead letter,
 * cancellation between deliveries and during one) hand chosen batches to a Worker whose producer
 * records what it sends, so each case happens exactly as written. The watchdog runs as the
 * JobCoordinator's alarm, on jobs whose messages were never sent (lost), re-queueing through the
 * real queue; the stall time is made to have passed by moving the job's last progress back.
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  runDurableObjectAlarm,
  runInDurableObject,
} from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { Descry, type ResultLine } from 'descry';
import embeddedModel, { emojiSubclasses } from 'descry/models/emoji-clip';
import { createWorker } from 'descry/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JobMessage } from '../../worker/jobs/job-messages.js';
import { emojiFixtures } from '../worker/support/fixture-images.js';
import { workerdReferenceEngine } from '../worker/support/reference-engine.workerd.js';
import { TEST_LIMITS } from '../worker/support/test-vars.js';
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
import { checkOwnership } from './support/ownership.js';

interface Bindings {
  IMAGES: R2Bucket;
  JOB_RESULTS: R2Bucket;
  JOB_QUEUE: Queue<unknown>;
  JOBS: DurableObjectNamespace;
  [name: string]: unknown;
}

const bindings = env as unknown as Bindings;
const ADMIN_KEY = 'test-admin-key';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const main = (exports as unknown as { default: { fetch(request: Request): Promise<Response> } }).default;
const call: Call = (path, init) => main.fetch(new Request(`https://descry.test${path}`, init));

let labels: string[];
/** The emoji fixtures' keys under a prefix, with their reference predictions. */
let reference: Map<string, ResultLine['predictions']>;

beforeAll(async () => {
  const { images, labels: names } = await emojiFixtures();
  labels = names;
  const engine = await workerdReferenceEngine();
  const results = await engine.classify(
    images.map((image) => image.bytes),
    labels,
    { topK: 3 },
  );
  reference = new Map(
    images.map((image, i) => [
      image.name,
      results[i]!.predictions.map(({ label, score, cosine }) => ({ label, score, cosine })),
    ]),
  );
});

/** Put `count` generated images, the emoji fixtures and the bad objects under `prefix`. */
async function seed(prefix: string, count: number): Promise<{ keys: string[]; bad: Map<string, string> }> {
  const { images } = await emojiFixtures();
  const keys: string[] = [];
  const bad = new Map<string, string>();
  const puts: Array<Promise<unknown>> = [];
  for (let i = 0; i < count; i++) {
    const key = `${prefix}generated/${String(i).padStart(4, '0')}.png`;
    keys.push(key);
    puts.push(bindings.IMAGES.put(key, gradientPng(i)));
  }
  for (const image of images) {
    keys.push(`${prefix}${image.name}`);
    puts.push(bindings.IMAGES.put(`${prefix}${image.name}`, image.bytes));
  }
  for (const object of badObjects(TEST_LIMITS.maxImagePixels)) {
    keys.push(`${prefix}bad/${object.name}`);
    bad.set(`${prefix}bad/${object.name}`, object.code);
    puts.push(bindings.IMAGES.put(`${prefix}bad/${object.name}`, object.bytes));
  }
  await Promise.all(puts);
  return { keys: keys.sort(), bad };
}

describe('a job through the real queue', () => {
  it('classifies every image under a prefix exactly once, bad images as error lines', async () => {
    const prefix = 'e2e/';
    const { keys, bad } = await seed(prefix, 300);
    const started = await startJob(call, {
      labels,
      top_k: 3,
      batch_size: 16,
      source: { bucket: 'IMAGES', prefix },
    });
    expect(started.status).toBe('listing');
    const job = await waitForJob(call, started.id);
    expect(job.status, JSON.stringify(job)).toBe('completed');
    expect(job.counts).toEqual({
      total: keys.length,
      queued: 0,
      done: keys.length - bad.size,
      failed: bad.size,
      cancelled: 0,
    });
    expect(job.progress).toBe(1);
    expect(job.shards).toEqual({
      total: Math.ceil(keys.length / 16),
      done: Math.ceil(keys.length / 16),
      dead_lettered: 0,
      running: 0,
    });

    const lines = await resultLines(call, job.id);
    const counts = keyCounts(lines);
    expect([...counts.keys()].sort()).toEqual(keys);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    for (const line of lines) {
      const code = bad.get(line.key);
      if (code) expect(line.error?.code, line.key).toBe(code);
      else expect(line.predictions, line.key).toHaveLength(3);
    }
    // The same answers as the SDK gives for the same images.
    for (const [name, predictions] of reference) {
      expect(lines.find((line) => line.key === `${prefix}${name}`)?.predictions).toEqual(predictions);
    }
    const summary = await bindings.JOB_RESULTS.get(job.results.summary);
    expect(JSON.parse(await summary!.text())).toMatchObject({
      id: job.id,
      status: 'completed',
      counts: job.counts,
    });
  });

  it('dead-letters a message that fails on every delivery and records why', async () => {
    // A job whose classifier snapshot disappears: every delivery of its shard fails.
    const recorder = recordingWorker();
    const job = await startJob(recorder.call, {
      labels,
      source: { bucket: 'IMAGES', keys: ['e2e/generated/0000.png'] },
    });
    await bindings.JOB_RESULTS.delete(`jobs/${job.id}/classifier.descry`);
    await bindings.JOB_QUEUE.sendBatch(recorder.sent.map((body) => ({ body, contentType: 'json' as const })));
    const over = await waitForJob(call, job.id);
    expect(over.status).toBe('completed');
    expect(over.counts).toMatchObject({ total: 1, done: 0, failed: 1 });
    expect(over.errors).toEqual({ dead_lettered: 1 });
    expect(over.dead_letters?.[0]?.reason).toMatch(/classifier snapshot .* is missing/);
    const [line] = await resultLines(call, job.id);
    expect(line).toMatchObject({ key: 'e2e/generated/0000.png', error: { code: 'dead_lettered' } });
  });
});

/** A separate Worker instance over the same bindings whose producer records instead of sending. */
function recordingWorker(overrides: Record<string, unknown> = {}) {
  const sent: JobMessage[] = [];
  const queue = {
    async send(body: unknown) {
      sent.push(body as JobMessage);
    },
    async sendBatch(messages: Iterable<{ body: unknown }>) {
      for (const message of messages) sent.push(message.body as JobMessage);
    },
  };
  const testEnv = { ...bindings, JOB_QUEUE: queue, ...overrides } as never;
  const worker = createWorker({ embeddedModel });
  let next = 0;
  return {
    sent,
    call: ((path, init) =>
      worker.fetch!(
        new Request(`https://descry.test${path}`, init) as never,
        testEnv,
        createExecutionContext(),
      )) as Call,
    /** Deliver `messages` as one batch (attempt `attempts`); answers what was acked and retried. */
    async deliver(messages: JobMessage[], options: { attempts?: number; queue?: string } = {}) {
      const batch = createMessageBatch(
        options.queue ?? 'descry-jobs',
        messages.map((body) => ({
          id: `m${next++}`,
          timestamp: new Date(),
          attempts: options.attempts ?? 1,
          body,
        })),
      );
      // getQueueResult does not report retry delays: record what the consumer asks for.
      const delays = new Map<string, number | undefined>();
      for (const message of batch.messages) {
        const retry = message.retry.bind(message);
        Object.defineProperty(message, 'retry', {
          value: (options?: QueueRetryOptions) => {
            delays.set(message.id, options?.delaySeconds);
            retry(options);
          },
        });
      }
      const ctx = createExecutionContext();
      await worker.queue!(batch as never, testEnv, ctx);
      const result = await getQueueResult(batch, ctx);
      return { ids: batch.messages.map((m) => m.id), result, delays };
    },
  };
}

const classifyMessages = (sent: JobMessage[]) =>
  sent.filter((m): m is Extract<JobMessage, { kind: 'classify' }> => m.kind === 'classify');

describe('deliveries', () => {
  let keys: string[];
  beforeAll(async () => {
    keys = (await seed('deliveries/', 36)).keys.filter((key) => key.includes('/generated/'));
  });

  it('counts a shard delivered twice, even at once, once, and writes each key once', async () => {
    const worker = recordingWorker();
    const job = await startJob(worker.call, { labels, batch_size: 8, source: { bucket: 'IMAGES', keys } });
    const messages = classifyMessages(worker.sent);
    expect(messages).toHaveLength(Math.ceil(keys.length / 8));
    // The same message in two batches at once, then the whole job again.
    const [first, second] = await Promise.all([
      worker.deliver([messages[0]!]),
      worker.deliver([messages[0]!]),
    ]);
    expect(first.result.explicitAcks).toEqual(first.ids);
    expect(second.result.explicitAcks).toEqual(second.ids);
    await worker.deliver(messages);
    const again = await worker.deliver(messages);
    expect(again.result.explicitAcks).toEqual(again.ids);
    const over = await jobStatus(worker.call, job.id);
    expect(over.status).toBe('completed');
    expect(over.counts).toEqual({
      total: keys.length,
      queued: 0,
      done: keys.length,
      failed: 0,
      cancelled: 0,
    });
    const counts = keyCounts(await resultLines(worker.call, job.id));
    expect([...counts.keys()].sort()).toEqual([...keys].sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it('retries a batch whose consumer throws mid-batch with backoff, and loses nothing', async () => {
    // A source bucket that fails on its fifth read, once: the first message dies half-way.
    let reads = 0;
    const flaky = {
      list: (options: R2ListOptions) => bindings.IMAGES.list(options),
      get: (key: string) => {
        reads += 1;
        if (reads === 5) return Promise.reject(new Error('R2 is unavailable'));
        return bindings.IMAGES.get(key);
      },
      put: bindings.IMAGES.put.bind(bindings.IMAGES),
    };
    const worker = recordingWorker({ IMAGES: flaky, DESCRY_JOB_RETRY_DELAY_SECONDS: '3' });
    const job = await startJob(worker.call, { labels, batch_size: 12, source: { bucket: 'IMAGES', keys } });
    const messages = classifyMessages(worker.sent);
    const { ids, result, delays } = await worker.deliver(messages);
    expect(result.retryMessages).toEqual([{ msgId: ids[0] }]);
    expect(delays).toEqual(new Map([[ids[0], 3]]));
    expect(result.explicitAcks).toEqual(ids.slice(1));
    expect(await bindings.JOB_RESULTS.head(`jobs/${job.id}/shards/${messages[0]!.shard}.jsonl`)).toBeNull();
    const midway = await jobStatus(worker.call, job.id);
    expect(midway.counts.done).toBe(keys.length - 12);

    // The next attempt succeeds; had it failed, it would have backed off twice as long.
    const retried = await worker.deliver([messages[0]!], { attempts: 2 });
    expect(retried.result.explicitAcks).toEqual(retried.ids);
    const over = await jobStatus(worker.call, job.id);
    expect(over.status).toBe('completed');
    expect(over.counts).toEqual({
      total: keys.length,
      queued: 0,
      done: keys.length,
      failed: 0,
      cancelled: 0,
    });
    expect((await resultLines(worker.call, job.id)).length).toBe(keys.length);
  });

  it('acknowledges a batch with bad images at once: error lines, never a retry', async () => {
    const bad = badObjects(TEST_LIMITS.maxImagePixels).map((object) => `deliveries/bad/${object.name}`);
    const worker = recordingWorker();
    const job = await startJob(worker.call, {
      labels,
      source: { bucket: 'IMAGES', keys: [...bad, 'deliveries/missing.png'] },
    });
    const { ids, result } = await worker.deliver(classifyMessages(worker.sent));
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks).toEqual(ids);
    const over = await jobStatus(worker.call, job.id);
    expect(over.counts).toMatchObject({ total: 6, done: 0, failed: 6 });
    expect(over.errors).toEqual({
      image_corrupt: 1,
      image_unsupported_format: 2,
      image_empty: 1,
      image_too_large: 1,
      not_found: 1,
    });
  });

  it('counts a dead-lettered shard as failed lines with the recorded reason, and keeps a written one', async () => {
    const worker = recordingWorker();
    const job = await startJob(worker.call, { labels, batch_size: 18, source: { bucket: 'IMAGES', keys } });
    const [dead, written] = classifyMessages(worker.sent);
    await worker.deliver([written!]);
    // As if the count after writing had failed: the shard exists but the ledger has not counted it.
    const stub = bindings.JOBS.get(bindings.JOBS.idFromName(job.id));
    await stub.fetch('https://job-ledger/recordFailure', {
      method: 'POST',
      body: JSON.stringify([dead!.shard, 'R2 is unavailable']),
    });
    const { result } = await worker.deliver([dead!, written!], { queue: 'descry-jobs-dlq' });
    expect(result.retryMessages).toEqual([]);
    const over = await jobStatus(worker.call, job.id);
    expect(over.status).toBe('completed');
    expect(over.counts).toEqual({ total: 36, queued: 0, done: 18, failed: 18, cancelled: 0 });
    expect(over.dead_letters).toEqual([{ shard: dead!.shard, reason: 'R2 is unavailable' }]);
    const lines = await resultLines(worker.call, job.id);
    expect(lines.filter((line) => line.error?.code === 'dead_lettered')).toHaveLength(18);
    expect(lines.filter((line) => line.predictions)).toHaveLength(18);
  });

  it('cancels: no shard starts after DELETE, written lines stay, a finished job answers 409', async () => {
    const worker = recordingWorker();
    const job = await startJob(worker.call, { labels, batch_size: 6, source: { bucket: 'IMAGES', keys } });
    const messages = classifyMessages(worker.sent);
    await worker.deliver([messages[0]!]);
    const cancel = await worker.call(`/v1/jobs/${job.id}`, { method: 'DELETE', headers: AUTH });
    expect(cancel.status).toBe(200);
    expect(await cancel.json()).toMatchObject({
      status: 'cancelled',
      counts: { total: 36, done: 6, failed: 0, queued: 0, cancelled: 30 },
    });
    const rest = await worker.deliver(messages.slice(1));
    expect(rest.result.explicitAcks).toEqual(rest.ids);
    const over = await jobStatus(worker.call, job.id);
    expect(over.status).toBe('cancelled');
    expect(over.counts).toEqual({ total: 36, queued: 0, done: 6, failed: 0, cancelled: 30 });
    expect(await resultLines(worker.call, job.id)).toHaveLength(6);
    const summary = await bindings.JOB_RESULTS.get(over.results.summary);
    expect(JSON.parse(await summary!.text())).toMatchObject({ status: 'cancelled', counts: over.counts });
    const twice = await worker.call(`/v1/jobs/${job.id}`, { method: 'DELETE', headers: AUTH });
    expect(twice.status).toBe(200);

    const finished = await startJob(worker.call, {
      labels,
      source: { bucket: 'IMAGES', keys: keys.slice(0, 2) },
    });
    await worker.deliver(classifyMessages(worker.sent).filter((message) => message.job === finished.id));
    const late = await worker.call(`/v1/jobs/${finished.id}`, { method: 'DELETE', headers: AUTH });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ code: 'job_finished' });
  });

  it('counts a shard in flight at the cancellation when it lands, and says what never started', async () => {
    // A source whose reads wait until released: the first shard is mid-way when DELETE arrives.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const gated = {
      list: (options: R2ListOptions) => bindings.IMAGES.list(options),
      get: async (key: string) => {
        await gate;
        return bindings.IMAGES.get(key);
      },
      put: bindings.IMAGES.put.bind(bindings.IMAGES),
    };
    const worker = recordingWorker({ IMAGES: gated });
    const job = await startJob(worker.call, { labels, batch_size: 6, source: { bucket: 'IMAGES', keys } });
    const messages = classifyMessages(worker.sent);
    const landing = worker.deliver([messages[0]!]);
    let during = await jobStatus(worker.call, job.id);
    for (let i = 0; during.shards.running === 0 && i < 200; i++) {
      await sleep(20);
      during = await jobStatus(worker.call, job.id);
    }
    expect(during.shards.running).toBe(1);
    const cancel = await worker.call(`/v1/jobs/${job.id}`, { method: 'DELETE', headers: AUTH });
    expect(cancel.status).toBe(200);
    const cancelled = (await cancel.json()) as Awaited<ReturnType<typeof jobStatus>>;
    // 6 images in flight (they may still land), 30 that never started.
    expect(cancelled.counts).toEqual({ total: 36, queued: 6, done: 0, failed: 0, cancelled: 30 });
    const summary = async () =>
      JSON.parse(await (await bindings.JOB_RESULTS.get(cancelled.results.summary))!.text());
    expect(await summary()).toMatchObject({ status: 'cancelled', counts: cancelled.counts });

    release();
    const landed = await landing;
    expect(landed.result.explicitAcks).toEqual(landed.ids);
    const over = await jobStatus(worker.call, job.id);
    expect(over.status).toBe('cancelled');
    expect(over.counts).toEqual({ total: 36, queued: 0, done: 6, failed: 0, cancelled: 30 });
    expect(over.shards.running).toBe(0);
    expect(await summary()).toMatchObject({ status: 'cancelled', counts: over.counts });
    // The rest never starts; the lines are exactly the counted images.
    await worker.deliver(messages.slice(1));
    expect((await jobStatus(worker.call, job.id)).counts).toEqual(over.counts);
    expect(await resultLines(worker.call, job.id)).toHaveLength(6);
  });
});

describe('the watchdog (JobCoordinator alarm)', () => {
  let keys: string[];
  beforeAll(async () => {
    keys = (await seed('watchdog/', 10)).keys;
  });

  const coordinator = (id: string) => bindings.JOBS.get(bindings.JOBS.idFromName(id));
  const alarmOf = (id: string) =>
    runInDurableObject(coordinator(id), (_instance, state) => state.storage.getAlarm());

  /** Make the job's last progress `ms` older: as if that long had passed without any. */
  async function age(id: string, ms: number): Promise<void> {
    await runInDurableObject(coordinator(id), async (_instance, state) => {
      const job = (await state.storage.get<{ progressAt: string }>('job'))!;
      job.progressAt = new Date(Date.parse(job.progressAt) - ms).toISOString();
      await state.storage.put('job', job);
    });
  }

  /** A job whose messages were recorded and never sent: lost, as a local queue loses them. */
  async function lostJob(): Promise<string> {
    const worker = recordingWorker();
    const job = await startJob(worker.call, { labels, batch_size: 4, source: { bucket: 'IMAGES', keys } });
    expect(classifyMessages(worker.sent)).toHaveLength(Math.ceil(keys.length / 4));
    return job.id;
  }

  it('notices a job whose messages were lost, and finishes it with the shards it re-queues', async () => {
    const id = await lostJob();
    // The alarm is set when the job is created, one stall time (600 s by default) ahead.
    const alarm = await alarmOf(id);
    expect(alarm).toBeGreaterThan(Date.now() + 590_000);
    // Before the stall time the alarm only looks, and comes back later.
    expect(await runDurableObjectAlarm(coordinator(id))).toBe(true);
    expect(await jobStatus(call, id)).toMatchObject({
      status: 'running',
      counts: { done: 0, queued: keys.length },
    });
    expect(await alarmOf(id)).toBeGreaterThan(Date.now() + 590_000);

    await age(id, 601_000);
    expect(await runDurableObjectAlarm(coordinator(id))).toBe(true);
    const over = await waitForJob(call, id);
    expect(over.status).toBe('completed');
    expect(over.counts).toEqual({
      total: keys.length,
      queued: 0,
      done: keys.length - 5,
      failed: 5,
      cancelled: 0,
    });
    const counts = keyCounts(await resultLines(call, id));
    expect([...counts.keys()].sort()).toEqual(keys);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    // Over: the alarm is not set again.
    await runDurableObjectAlarm(coordinator(id));
    expect(await alarmOf(id)).toBeNull();
  });

  it('marks a stalled job failed when its missing work cannot be re-queued, and says why', async () => {
    const id = await lostJob();
    await bindings.JOB_RESULTS.delete(`jobs/${id}/pages/000000.json`);
    await age(id, 601_000);
    expect(await runDurableObjectAlarm(coordinator(id))).toBe(true);
    const over = await jobStatus(call, id);
    expect(over.status).toBe('failed');
    expect(over.failure).toMatch(
      /^the job made no progress for \d+ s and its missing work cannot be re-queued \(the plan of page 0 is missing\)/,
    );
    expect(over.counts).toMatchObject({ total: keys.length, queued: keys.length, done: 0 });
    const summary = JSON.parse(await (await bindings.JOB_RESULTS.get(over.results.summary))!.text());
    expect(summary).toMatchObject({ status: 'failed', failure: over.failure });
    expect(await alarmOf(id)).toBeNull();
  });

  it('fails a job that does not move through DESCRY_JOB_STALL_ROUNDS rounds', async () => {
    const id = await lostJob();
    // Three rounds (the default) that re-queued work which never moved the job.
    await runInDurableObject(coordinator(id), async (_instance, state) => {
      const job = (await state.storage.get<{ watchdog: object; progressAt: string }>('job'))!;
      const old = Date.now() - 4 * 601_000;
      job.progressAt = new Date(old).toISOString();
      job.watchdog = { rounds: 3, at: new Date(old + 3 * 601_000).toISOString() };
      await state.storage.put('job', job);
    });
    expect(await runDurableObjectAlarm(coordinator(id))).toBe(true);
    const over = await jobStatus(call, id);
    expect(over.status).toBe('failed');
    expect(over.failure).toMatch(
      /no progress for \d+ s, through 3 watchdog rounds that re-queued its missing work/,
    );
  });
});

describe('the job API', () => {
  const post = (body: unknown, headers: Record<string, string> = AUTH) =>
    call('/v1/jobs', {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('needs an API key', async () => {
    expect((await post({ labels: ['a'], source: { bucket: 'IMAGES', prefix: '' } }, {})).status).toBe(401);
    expect((await call('/v1/jobs/job_0123456789abcdef0123456789abcdef')).status).toBe(401);
  });

  it('refuses buckets the deployment does not allow, and bad targets, with 422', async () => {
    const wrongBucket = await post({ labels: ['a'], source: { bucket: 'ADAPTATIONS', prefix: '' } });
    expect(wrongBucket.status).toBe(422);
    expect(await wrongBucket.json()).toMatchObject({
      code: 'invalid_input',
      detail: expect.stringContaining('allowed: IMAGES'),
    });
    expect((await post({ source: { bucket: 'IMAGES', prefix: '' } })).status).toBe(422);
    expect(
      (await post({ labels: ['a'], batch_size: 1000, source: { bucket: 'IMAGES', prefix: '' } })).status,
    ).toBe(422);
  });

  it("keeps each job to the key that created it; GET /v1/jobs lists the caller's", async () => {
    await checkOwnership(
      recordingWorker({ DESCRY_ADMIN_KEYS: ADMIN_KEY }).call,
      ADMIN_KEY,
      labels,
      'e2e/0.png',
    );
  });

  it('answers 404 for an unknown job and 422 for a malformed id', async () => {
    const unknown = await call('/v1/jobs/job_0123456789abcdef0123456789abcdef', { headers: AUTH });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'not_found' });
    expect((await call('/v1/jobs/nope', { headers: AUTH })).status).toBe(422);
  });

  it('snapshots a stored classifier and completes a job over an empty prefix at once', async () => {
    const put = await call('/v1/classifiers/job-animals', {
      method: 'PUT',
      headers: { ...AUTH, 'Content-Type': 'application/json' },
      body: JSON.stringify({ labels }),
    });
    expect(put.status).toBe(201);
    const job = await startJob(call, {
      classifier: 'job-animals',
      source: { bucket: 'IMAGES', prefix: 'nothing-here/' },
    });
    expect(job.classifier).toBe('job-animals');
    const over = await waitForJob(call, job.id);
    expect(over).toMatchObject({ status: 'completed', counts: { total: 0 }, progress: 1 });
    const snapshot = await bindings.JOB_RESULTS.get(`jobs/${job.id}/classifier.descry`);
    const engine = await Descry.load(embeddedModel);
    expect(engine.loadClassifier(new Uint8Array(await snapshot!.arrayBuffer())).labels).toEqual(labels);
  });

  it("runs method 'subclasses' with a calibration stored in KV: the R2 snapshot carries both, lines carry sets", async () => {
    const json = { ...AUTH, 'Content-Type': 'application/json' };
    const { images } = await emojiFixtures();
    const subcategory = (name: string) =>
      Object.entries(emojiSubclasses.subcategories).find(([, names]) => names.includes(name))![0];
    const truth = images.map((image) => subcategory(image.label));
    const subcategories = [...new Set(truth)];
    const subclasses = Object.fromEntries(
      subcategories.map((label) => [label, [...emojiSubclasses.subcategories[label]!]]),
    );
    const id = 'job-subcategories';
    const put = await call(`/v1/classifiers/${id}`, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ labels: subcategories, subclasses }),
    });
    expect(put.status, await put.clone().text()).toBe(201);
    const base64 = images.map((image) => btoa(String.fromCharCode(...image.bytes)));
    const calibrate = await call(`/v1/classifiers/${id}/calibrate`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        images: [...base64, ...base64],
        image_labels: [...truth, ...truth],
        alpha: 0.2,
        method: 'subclasses',
      }),
    });
    expect(calibrate.status, await calibrate.clone().text()).toBe(200);
    const prefix = 'subclasses/';
    await Promise.all(images.map((image) => bindings.IMAGES.put(`${prefix}${image.name}`, image.bytes)));
    const started = await startJob(call, {
      classifier: id,
      method: 'subclasses',
      max_set_size: 2,
      top_k: 2,
      source: { bucket: 'IMAGES', prefix },
    });
    const job = await waitForJob(call, started.id);
    expect(job.status, JSON.stringify(job)).toBe('completed');
    const snapshot = await bindings.JOB_RESULTS.get(`jobs/${job.id}/classifier.descry`);
    const engine = await Descry.load(embeddedModel);
    const snapped = engine.loadClassifier(new Uint8Array(await snapshot!.arrayBuffer()));
    expect(snapped.subclassMap).toBeDefined();
    expect(snapped.calibration).toMatchObject({ alpha: 0.2, predictor: { method: 'subclasses' } });

    const direct = await call('/v1/classify', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        images: base64,
        classifier: id,
        method: 'subclasses',
        max_set_size: 2,
        top_k: 2,
      }),
    });
    expect(direct.status, await direct.clone().text()).toBe(200);
    const { results } = (await direct.json()) as {
      results: Array<{ predictions: Array<{ label: string; score: number }>; set: unknown }>;
    };
    const lines = await resultLines(call, job.id);
    images.forEach((image, i) => {
      const line = lines.find((l) => l.key === `${prefix}${image.name}`)!;
      expect(line.set).toBeDefined();
      expect(line.set).toEqual(results[i]!.set);
      expect(line.predictions!.map((p) => p.label)).toEqual(results[i]!.predictions.map((p) => p.label));
      expect(subclasses[line.predictions![0]!.label]).toContain(
        line.predictions![0]!.evidence![0]!.descriptor,
      );
    });
  });
});
