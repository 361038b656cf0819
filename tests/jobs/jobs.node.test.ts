/**
 * The same job API on the Node server (a real server on 127.0.0.1): a folder as the source
 * bucket, the in-process queue, results as files under the data folder in the layout R2 gets.
 * And the CLI classifying the same folder writes the same lines: a job moves between the two.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseResultLines } from 'descry';
import { emojiSubclasses } from 'descry/models/emoji-clip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startNodeServer } from '../../worker/hosts/node-server.node.js';
import { runCli } from '../cli/support/run-cli.js';
import { FIXTURE_DIR, FIXTURE_FILES } from '../worker/support/emoji-fixtures.js';
import { TEST_KEYS, TEST_LIMITS, TEST_VARS } from '../worker/support/test-vars.js';
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

const root = new URL('../..', import.meta.url).pathname;
const ADMIN_KEY = 'test-admin-key';
let server: RunningServer;
let bucket: string;
let dataDir: string;
let labels: string[];
const call: Call = (path, init) => fetch(`${server.url}${path}`, init);

beforeAll(async () => {
  bucket = await mkdtemp(join(tmpdir(), 'descry-bucket-'));
  dataDir = await mkdtemp(join(tmpdir(), 'descry-data-'));
  const names = JSON.parse(await readFile(join(root, FIXTURE_DIR, 'labels.json'), 'utf8')) as Record<
    string,
    { name: string }
  >;
  labels = FIXTURE_FILES.map((file) => names[file]!.name);
  await mkdir(join(bucket, 'photos', 'generated'), { recursive: true });
  await mkdir(join(bucket, 'mixed'), { recursive: true });
  for (let i = 0; i < 40; i++) {
    await writeFile(join(bucket, 'photos', 'generated', `${String(i).padStart(3, '0')}.png`), gradientPng(i));
  }
  for (const file of FIXTURE_FILES)
    await copyFile(join(root, FIXTURE_DIR, file), join(bucket, 'photos', file));
  await writeFile(join(bucket, 'photos', 'truncated.png'), badObjects(TEST_LIMITS.maxImagePixels)[0]!.bytes);
  await mkdir(join(bucket, 'alpha'), { recursive: true });
  await copyFile(join(root, 'tests/fixtures/preprocess/rgba_120x90.png'), join(bucket, 'alpha', 'rgba.png'));
  for (const object of badObjects(TEST_LIMITS.maxImagePixels)) {
    await writeFile(join(bucket, 'mixed', object.name), object.bytes);
  }
  server = await startNodeServer({
    port: 0,
    dataDir,
    vars: { ...TEST_VARS, DESCRY_JOB_BUCKETS: `IMAGES=${bucket}`, DESCRY_ADMIN_KEYS: ADMIN_KEY },
  });
});

afterAll(async () => {
  await server?.close();
});

describe('jobs on the Node server', () => {
  it('classifies a folder prefix into result files, and the CLI writes the same lines for it', async () => {
    const started = await startJob(call, {
      labels,
      top_k: 3,
      batch_size: 8,
      source: { bucket: 'IMAGES', prefix: 'photos/' },
    });
    const job = await waitForJob(call, started.id);
    expect(job.status).toBe('completed');
    expect(job.counts).toEqual({ total: 45, queued: 0, done: 44, failed: 1, cancelled: 0 });
    expect(job.results.location).toBe('DESCRY_DATA_DIR');
    const lines = await resultLines(call, job.id);
    expect([...keyCounts(lines).values()].every((n) => n === 1)).toBe(true);

    // The shards and the summary are plain files, where the status says.
    const shardDir = join(dataDir, job.results.shards);
    const shards = (await readdir(shardDir)).sort();
    expect(shards).toHaveLength(Math.ceil(45 / 8));
    const fromFiles = (await Promise.all(shards.map((name) => readFile(join(shardDir, name), 'utf8')))).join(
      '',
    );
    expect(parseResultLines(fromFiles)).toEqual(lines);
    const summary = JSON.parse(await readFile(join(dataDir, job.results.summary), 'utf8'));
    expect(summary).toMatchObject({ id: job.id, status: 'completed', counts: job.counts });

    const cli = await runCli(['classify', '--labels', labels.join(','), '--top-k', '3', 'photos'], {
      cwd: bucket,
    });
    expect(cli.code, cli.stderr).toBe(2);
    const sorted = (text: typeof lines) => [...text].sort((a, b) => a.key.localeCompare(b.key));
    const fromCli = sorted(parseResultLines(cli.stdout));
    const fromJob = sorted(lines);
    expect(fromCli.map((line) => line.key)).toEqual(fromJob.map((line) => line.key));
    fromCli.forEach((line, i) => {
      const other = fromJob[i]!;
      expect(line.error?.code ?? 'ok', line.key).toBe(other.error?.code ?? 'ok');
      expect(line.predictions?.map((p) => p.label)).toEqual(other.predictions?.map((p) => p.label));
      line.predictions?.forEach((p, k) => {
        expect(p.score).toBeCloseTo(other.predictions![k]!.score, 5);
      });
    });
  });

  it('turns every bad object of a key list into its error line', async () => {
    const objects = badObjects(TEST_LIMITS.maxImagePixels);
    const keys = [...objects.map((object) => `mixed/${object.name}`), 'mixed/absent.png', '../escape.png'];
    const job = await waitForJob(
      call,
      (await startJob(call, { labels, source: { bucket: 'IMAGES', keys } })).id,
    );
    expect(job.status).toBe('completed');
    const codes = Object.fromEntries(
      (await resultLines(call, job.id)).map((line) => [line.key, line.error?.code]),
    );
    expect(codes).toEqual({
      ...Object.fromEntries(objects.map((object) => [`mixed/${object.name}`, object.code])),
      'mixed/absent.png': 'not_found',
      '../escape.png': 'invalid_input',
    });
  });

  it('composites transparent images onto the background it was given, as /v1/classify does', async () => {
    const image = Buffer.from(await readFile(join(bucket, 'alpha', 'rgba.png'))).toString('base64');
    const scores: Record<string, number[]> = {};
    for (const background of [undefined, 'black', 'drop', '#3366cc']) {
      const options = background === undefined ? {} : { background };
      const job = await waitForJob(
        call,
        (await startJob(call, { labels, ...options, source: { bucket: 'IMAGES', keys: ['alpha/rgba.png'] } }))
          .id,
      );
      const [line] = await resultLines(call, job.id);
      const response = await call('/v1/classify', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TEST_KEYS[0]}` },
        body: JSON.stringify({ images: [image], labels, top_k: 5, ...options }),
      });
      expect(response.status, await response.clone().text()).toBe(200);
      const { results } = (await response.json()) as {
        results: Array<{ predictions: Array<{ label: string; score: number }> }>;
      };
      const direct = results[0]!.predictions;
      expect(
        line!.predictions?.map((p) => p.label),
        String(background),
      ).toEqual(direct.map((p) => p.label));
      line!.predictions!.forEach((p, k) => {
        expect(p.score).toBeCloseTo(direct[k]!.score, 5);
      });
      scores[String(background)] = direct.map((p) => p.score);
    }
    // The backgrounds give different answers, so the comparison above could tell them apart.
    expect(new Set(Object.values(scores).map((list) => list.join())).size).toBe(4);
  });

  it("runs method 'subclasses' on a stored, calibrated classifier: its snapshot carries both, so lines carry sets", async () => {
    const json = { ...AUTH, 'Content-Type': 'application/json' };
    const subcategory = (name: string) =>
      Object.entries(emojiSubclasses.subcategories).find(([, names]) => names.includes(name))![0];
    const truth = labels.map(subcategory);
    const subcategories = [...new Set(truth)];
    const subclasses = Object.fromEntries(
      subcategories.map((label) => [label, emojiSubclasses.subcategories[label]!.slice(0, 40)]),
    );
    for (const [i, label] of truth.entries()) {
      if (!subclasses[label]!.includes(labels[i]!)) subclasses[label]!.push(labels[i]!);
    }
    const id = 'job-subcategories';
    const put = await call(`/v1/classifiers/${id}`, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ labels: subcategories, subclasses }),
    });
    expect(put.status, await put.clone().text()).toBe(201);
    const keys = FIXTURE_FILES.map((file) => `photos/${file}`);
    const images = await Promise.all(
      FIXTURE_FILES.map(async (file) => (await readFile(join(root, FIXTURE_DIR, file))).toString('base64')),
    );

    // Sets asked for from a classifier without a calibration are refused when the job starts.
    const refused = await call('/v1/jobs', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        classifier: id,
        method: 'subclasses',
        max_set_size: 2,
        source: { bucket: 'IMAGES', keys },
      }),
    });
    expect(refused.status, await refused.clone().text()).toBe(422);

    const calibrate = await call(`/v1/classifiers/${id}/calibrate`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        images: [...images, ...images],
        image_labels: [...truth, ...truth],
        alpha: 0.2,
        method: 'subclasses',
      }),
    });
    expect(calibrate.status, await calibrate.clone().text()).toBe(200);
    const started = await startJob(call, {
      classifier: id,
      method: 'subclasses',
      max_set_size: 2,
      top_k: 2,
      source: { bucket: 'IMAGES', keys },
    });
    const job = await waitForJob(call, started.id);
    expect(job.status).toBe('completed');
    const lines = await resultLines(call, job.id);
    const direct = await call('/v1/classify', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ images, classifier: id, method: 'subclasses', max_set_size: 2, top_k: 2 }),
    });
    expect(direct.status, await direct.clone().text()).toBe(200);
    const { results } = (await direct.json()) as {
      results: Array<{ predictions: Array<{ label: string; score: number }>; set: unknown }>;
    };
    keys.forEach((key, i) => {
      const line = lines.find((l) => l.key === key)!;
      expect(line.degraded).toBeUndefined();
      expect(line.predictions![0]!.label).toBe(truth[i]);
      expect(subclasses[truth[i]!]).toContain(line.predictions![0]!.evidence![0]!.descriptor);
      expect(line.set).toBeDefined();
      expect(line.set).toEqual(results[i]!.set);
      line.predictions!.forEach((p, k) => {
        expect(p.score).toBeCloseTo(results[i]!.predictions[k]!.score, 5);
      });
    });
  });

  it('cancels a job on Node too', async () => {
    const job = await startJob(call, {
      labels,
      batch_size: 1,
      // A key list is planned when the job starts, so every image is counted before the cancel.
      source: {
        bucket: 'IMAGES',
        keys: Array.from({ length: 40 }, (_, i) => `photos/generated/${String(i).padStart(3, '0')}.png`),
      },
    });
    const cancel = await call(`/v1/jobs/${job.id}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${TEST_VARS.DESCRY_API_KEYS!.split(',')[0]}` },
    });
    expect(cancel.status).toBe(200);
    const cancelled = (await cancel.json()) as Awaited<ReturnType<typeof jobStatus>>;
    expect(cancelled.status).toBe('cancelled');
    // Every image is classified, failed, in flight (queued, it may still land) or cancelled.
    const { total, queued, done, failed, cancelled: never } = cancelled.counts;
    expect(queued + done + failed + never).toBe(total);
    expect(never).toBeGreaterThan(0);
    // The shard in flight lands: then nothing is queued and the lines are exactly the counts.
    let over = await jobStatus(call, job.id);
    for (let i = 0; over.counts.queued > 0 && i < 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      over = await jobStatus(call, job.id);
    }
    expect(over.status).toBe('cancelled');
    expect(over.counts).toEqual({ ...over.counts, total: 40, queued: 0, cancelled: never });
    expect(over.counts.done + over.counts.failed + over.counts.cancelled).toBe(40);
    expect((await resultLines(call, job.id)).length).toBe(over.counts.done + over.counts.failed);
    const summary = JSON.parse(await readFile(join(dataDir, over.results.summary), 'utf8'));
    expect(summary).toMatchObject({ status: 'cancelled', counts: over.counts });
  });

  it("keeps each job to the key that created it; GET /v1/jobs lists the caller's", async () => {
    await checkOwnership(call, ADMIN_KEY, labels, 'photos/generated/000.png');
  });
});
