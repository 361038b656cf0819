/**
 * The README's batch-job example (its region is the README's code block, checked by
 * tests/package/readme.node.test.ts): the Node server with this repository as its source bucket
 * IMAGES, a job over five keys (one of them a truncated PNG), polled until it is over, its status
 * and its result lines printed. The same requests work against the Worker, where IMAGES is an R2
 * bucket and the work runs on Cloudflare Queues.
 *
 *   npx tsx examples/batch-job.ts
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNodeServer } from 'descry/server';

const server = await startNodeServer({
  port: 0,
  dataDir: await mkdtemp(join(tmpdir(), 'descry-jobs-')), // results land in <dataDir>/jobs/<id>/
  // No access log here: the output below is the example's own.
  vars: { DESCRY_DEV: 'true', DESCRY_ACCESS_LOG: 'false', DESCRY_JOB_BUCKETS: `IMAGES=${process.cwd()}` },
});
const base = server.url;

// #region job
const started = await fetch(`${base}/v1/jobs`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({
    labels: ['star', 'high voltage', 'clock', 'yum'],
    top_k: 2,
    source: {
      bucket: 'IMAGES',
      keys: ['2B50', '26A1', '1F551', '1F60B']
        .map((name) => `tests/fixtures/openmoji-eval/${name}.png`)
        .concat('examples/images/broken.png'),
    },
  }),
}); // 202, Location: /v1/jobs/job_…
const { id } = (await started.json()) as { id: string };
let job: { status: string; counts: object; errors: object };
do {
  await new Promise((resolve) => setTimeout(resolve, 200));
  job = await (await fetch(`${base}/v1/jobs/${id}`)).json();
} while (job.status === 'listing' || job.status === 'running');
console.log(job.status, JSON.stringify(job.counts), JSON.stringify(job.errors));
process.stdout.write(await (await fetch(`${base}/v1/jobs/${id}/results`)).text()); // JSON Lines
// #endregion

await server.close();
