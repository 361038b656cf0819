/**
 * Batch jobs: a job over generated images against the synchronous path of the same server, in
 * one run, then a count check that every image has exactly one result line.
 *
 *   npm run bench:jobs                    # the Node server: folder bucket, in-process queue
 *   npm run bench:jobs -- --wrangler      # wrangler dev --local: R2, Queues, Durable Objects in workerd
 *   npm run bench:jobs -- --images 500 --rounds 1
 *
 * Images: 64×64 PNG gradients made here (none committed), 1% of them truncated so failed images
 * are counted too. The synchronous path is POST /v1/classify with 16 images per request (the
 * default DESCRY_MAX_IMAGES), one request at a time, images already in the client's memory. The
 * job is POST /v1/jobs over the same images in the bucket, timed by the job's own created_at →
 * finished_at. Reported: images/s of each, their ratio, and the job's overhead per image
 * (job time − synchronous time) / images. With --rounds > 1 the paths alternate and medians are kept.
 *
 * Count check: the lines of GET /v1/jobs/{id}/results, and with --wrangler also the shard objects
 * read straight from the local R2 state after wrangler stops: one line per uploaded key, none
 * missing, none twice. The bench exits 1 when the check fails.
 */

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { parseResultLines, type ResultLine } from 'descry';
import { startNodeServer } from 'descry/server';
// @ts-expect-error: a script in plain JavaScript
import { startWranglerDev } from '../scripts/wrangler-dev.mjs';
import { gradientPng } from '../tests/jobs/support/job-images.js';
import { truncatedPng } from '../tests/worker/support/synthetic-images.js';
// @ts-expect-error: a script in plain JavaScript
import { freePort } from './service-hosts.mjs';

const root = new URL('..', import.meta.url).pathname;
const options = new Command()
  .option('--wrangler', 'run through wrangler dev --local (workerd) instead of the Node server')
  .option('--images <n>', 'images in the job', '2000')
  .option('--rounds <n>', 'alternating rounds of each path (medians are reported)', '1')
  .option('--batch-size <n>', 'images per queue message', '16')
  .parse()
  .opts<{ wrangler?: boolean; images: string; rounds: string; batchSize: string }>();

const count = Number(options.images);
const rounds = Number(options.rounds);
const batchSize = Number(options.batchSize);
const PREFIX = 'bench/';
const SYNC_BATCH = 16;
const classes = JSON.parse(await readFile(join(root, 'tests/fixtures/emoji-classes.json'), 'utf8')) as Array<{
  name: string;
}>;
const labels = classes.slice(0, 20).map((c) => c.name);

/** The images: key → bytes; every hundredth one truncated (listed in `bad`). */
function images(): { made: Map<string, Uint8Array>; bad: Set<string> } {
  const made = new Map<string, Uint8Array>();
  const bad = new Set<string>();
  for (let i = 0; i < count; i++) {
    const key = `${PREFIX}${String(i).padStart(5, '0')}.png`;
    if (i % 100 === 99) bad.add(key);
    made.set(key, bad.has(key) ? truncatedPng() : gradientPng(i));
  }
  return { made, bad };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * The synchronous path: every good image through POST /v1/classify, 16 per request (a request
 * with a corrupt image is refused whole, so those are left out). Answers seconds per image.
 */
async function syncPass(base: string, all: Uint8Array[]): Promise<number> {
  const bodies: string[] = [];
  for (let start = 0; start < all.length; start += SYNC_BATCH) {
    const slice = all.slice(start, start + SYNC_BATCH);
    bodies.push(
      JSON.stringify({ labels, top_k: 5, images: slice.map((b) => Buffer.from(b).toString('base64')) }),
    );
  }
  const started = performance.now();
  for (const body of bodies) {
    const response = await fetch(`${base}/v1/classify`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    if (!response.ok) throw new Error(`/v1/classify answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  }
  return (performance.now() - started) / 1000 / all.length;
}

interface JobOutcome {
  id: string;
  seconds: number;
  lines: ResultLine[];
  shards: number;
}

/** The job path: POST /v1/jobs over the prefix, poll until over, read its lines. */
async function jobPass(base: string): Promise<JobOutcome> {
  const created = await fetch(`${base}/v1/jobs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      labels,
      top_k: 5,
      batch_size: batchSize,
      source: { bucket: 'IMAGES', prefix: PREFIX },
    }),
  });
  if (created.status !== 202) throw new Error(`/v1/jobs answered ${created.status}: ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  for (;;) {
    const job = (await (await fetch(`${base}/v1/jobs/${id}`)).json()) as {
      status: string;
      timings: { created_at: string; finished_at?: string };
      shards: { total: number };
    };
    if (job.status === 'completed' || job.status === 'failed' || job.status === 'cancelled') {
      if (job.status !== 'completed')
        throw new Error(`job ${id} ended ${job.status}: ${JSON.stringify(job)}`);
      const seconds = (Date.parse(job.timings.finished_at!) - Date.parse(job.timings.created_at)) / 1000;
      const lines = parseResultLines(await (await fetch(`${base}/v1/jobs/${id}/results`)).text());
      return { id, seconds, lines, shards: job.shards.total };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** One line per key of `made`, none missing, none twice. */
function countCheck(where: string, lines: ResultLine[], made: Map<string, Uint8Array>): boolean {
  const seen = new Map<string, number>();
  for (const line of lines) seen.set(line.key, (seen.get(line.key) ?? 0) + 1);
  const missing = [...made.keys()].filter((key) => !seen.has(key));
  const duplicated = [...seen].filter(([, n]) => n > 1);
  const unknown = [...seen.keys()].filter((key) => !made.has(key));
  const failed = lines.filter((line) => line.error);
  const codes = [...new Set(failed.map((line) => line.error!.code))].join(', ');
  const ok =
    missing.length === 0 && duplicated.length === 0 && unknown.length === 0 && lines.length === made.size;
  console.log(
    `count check (${where}): ${lines.length} lines for ${made.size} images; ${seen.size} distinct keys; ` +
      `lost ${missing.length}, duplicated ${duplicated.length}, unknown ${unknown.length}; ` +
      `classified ${lines.length - failed.length}, failed ${failed.length} (${codes || 'none'}) → ${ok ? 'OK' : 'FAILED'}`,
  );
  return ok;
}

interface Host {
  base: string;
  label: string;
  /** Stop the server; answers the shard lines read from its storage, when it can. */
  stop(jobId?: string): Promise<ResultLine[] | undefined>;
}

async function nodeHost(made: Map<string, Uint8Array>, work: string): Promise<Host> {
  const bucket = join(work, 'bucket');
  for (const [key, bytes] of made) {
    await mkdir(join(bucket, key, '..'), { recursive: true });
    await writeFile(join(bucket, key), bytes);
  }
  const server = await startNodeServer({
    port: 0,
    dataDir: join(work, 'data'),
    vars: { ...process.env, DESCRY_DEV: 'true', DESCRY_API_KEYS: '', DESCRY_JOB_BUCKETS: `IMAGES=${bucket}` },
  });
  return {
    base: server.url,
    label: `Node ${process.versions.node} server, in-process queue`,
    stop: async () => {
      await server.close();
      return undefined;
    },
  };
}

async function wranglerHost(made: Map<string, Uint8Array>, work: string): Promise<Host> {
  // getPlatformProxy warns that the Durable Object is internal to the Worker: true, and not used here.
  process.env.WRANGLER_LOG ??= 'error';
  const { getPlatformProxy } = await import('wrangler');
  const persist = join(work, 'state');
  const local = () =>
    getPlatformProxy<{ IMAGES: R2Bucket; JOB_RESULTS: R2Bucket }>({
      configPath: join(root, 'wrangler.toml'),
      persist: { path: join(persist, 'v3') },
      remoteBindings: false,
    });
  const seeding = await local();
  const entries = [...made];
  for (let start = 0; start < entries.length; start += 50) {
    await Promise.all(
      entries.slice(start, start + 50).map(([key, bytes]) => seeding.env.IMAGES.put(key, bytes)),
    );
  }
  await seeding.dispose();

  const port = await freePort();
  const log = join(work, 'wrangler.log');
  const child = startWranglerDev({ port, persistTo: persist, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null || i > 240) {
      await writeFile(log, output);
      child.kill();
      throw new Error(`wrangler dev did not start on port ${port}:\n${output.slice(-4000)}`);
    }
    const up = await fetch(`${base}/healthz?ready=1`)
      .then((r) => r.ok)
      .catch(() => false);
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return {
    base,
    label: 'wrangler dev --local (workerd): R2, Queues, Durable Objects',
    async stop(jobId) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
      if (!jobId) return undefined;
      // Straight from the R2 state wrangler wrote: every shard object of the job.
      const reading = await local();
      const prefix = `jobs/${jobId}/shards/`;
      const lines: ResultLine[] = [];
      let cursor: string | undefined;
      do {
        const page = await reading.env.JOB_RESULTS.list({ prefix, ...(cursor ? { cursor } : {}) });
        for (const object of page.objects) {
          const shard = await reading.env.JOB_RESULTS.get(object.key);
          lines.push(...parseResultLines(await shard!.text()));
        }
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
      await reading.dispose();
      return lines;
    },
  };
}

const work = await mkdtemp(join(tmpdir(), 'descry-bench-jobs-'));
const { made, bad } = images();
const good = [...made].filter(([key]) => !bad.has(key)).map(([, bytes]) => bytes);
const host = options.wrangler ? await wranglerHost(made, work) : await nodeHost(made, work);
let ok = true;
let lastJob: JobOutcome | undefined;
try {
  // Warm-up: the model loads on the first request, in neither measurement.
  await syncPass(host.base, good.slice(0, SYNC_BATCH));
  const sync: number[] = [];
  const jobs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    sync.push(await syncPass(host.base, good));
    lastJob = await jobPass(host.base);
    jobs.push(lastJob.seconds / count);
    ok = countCheck(`round ${round + 1}, GET /v1/jobs/${lastJob.id}/results`, lastJob.lines, made) && ok;
  }
  const syncPerImage = median(sync);
  const jobPerImage = median(jobs);
  console.log(
    `\n${host.label}; ${count} images (64×64 PNG, ${bad.size} of them truncated), 20 labels, top 5`,
  );
  console.log('| path | ms per image | images/s |\n| --- | ---: | ---: |');
  console.log(
    `| synchronous: POST /v1/classify, ${SYNC_BATCH} images per request, ${good.length} good images | ` +
      `${(syncPerImage * 1000).toFixed(2)} | ${(1 / syncPerImage).toFixed(1)} |`,
  );
  console.log(
    `| job: POST /v1/jobs over ${count} images, ${batchSize} per message (${lastJob!.shards} shards) | ` +
      `${(jobPerImage * 1000).toFixed(2)} | ${(1 / jobPerImage).toFixed(1)} |`,
  );
  console.log(
    `job throughput / synchronous throughput: ${(syncPerImage / jobPerImage).toFixed(2)}×; ` +
      `job overhead per image: ${((jobPerImage - syncPerImage) * 1000).toFixed(2)} ms`,
  );
} finally {
  const fromStorage = await host.stop(lastJob?.id);
  if (fromStorage)
    ok = countCheck('the R2 shard objects, read after wrangler stopped', fromStorage, made) && ok;
  await rm(work, { recursive: true, force: true });
}
process.exitCode = ok ? 0 : 1;
