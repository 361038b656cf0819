/**
 * Soak (issue 18, "Must show"): minutes of mixed traffic against one live host, watching its memory
 * for drift and every answer for a 5xx.
 *
 * Traffic, open loop, one request every 100 ms spread over four keys (under the 600 a minute each
 * key may make): classify with labels (45%) and by a stored classifier (10%), adapt that classifier
 * with an image (5%), embeddings (10%), bad input (25%: JSON that is not, an unsupported format,
 * an 11584² progressive JPEG header, a label list over the limit, a truncated PNG) and /healthz
 * (5%). On Node also a batch job of 20 images every 30 s, each checked at the end: completed, with
 * every key exactly once ("nothing lost"). Jobs are not run in workerd: `wrangler dev` has no images
 * in its local IMAGES bucket and its local queues are what the watchdog covers (tests/jobs).
 *
 * Memory: RSS every 5 s (Node, and workerd's runtime process), and in workerd the isolate's JS heap
 * and ArrayBuffers through its inspector. After a warm-up (a fifth of the run, at most 2 minutes)
 * the drift is the median of the last minute against the median of the first minute after the
 * warm-up (target: within ±10%).
 *
 *   npm run soak [-- --minutes 10] [--host node|workerd] [--docs]
 *
 * With 10 minutes it rewrites bench/results/soak.md (Node) or soak-workerd.md, and with --docs the
 * soak or soak-workerd block of docs/service.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { writeMarkedBlock } from '../scripts/doc-blocks.mjs';
import {
  BENCH_KEYS,
  formatTable,
  type Host,
  percentile,
  progressiveHeader,
  SMALL,
  startAbuseHost,
} from './abuse-support.js';
// @ts-expect-error: a script in plain JavaScript
import { memory, root } from './service-hosts.mjs';

const arg = (name: string) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const MINUTES = Number(arg('--minutes') ?? 10);
const hostName = (arg('--host') ?? 'node') as Host;
const DURATION_MS = MINUTES * 60_000;
const WARM_UP_MS = Math.min(120_000, DURATION_MS / 5);
const SAMPLE_MS = 5000;

/** A gradient PNG per index: distinct images for jobs and adapt. */
function gradient(i: number, size = 48): Uint8Array {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      data.set([(x * 5 + i * 31) & 255, (y * 5 + i * 17) & 255, (i * 53) & 255], (y * size + x) * 3);
  return encode({ width: size, height: size, data, channels: 3, depth: 8 });
}
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** The header of an 11584² progressive JPEG (4:2:0) and nothing else. */
const oversizedProgressive = progressiveHeader(11584);

const LABELS = ['eyeglasses', 'sushi', 'hot dog', 'microphone', 'bicycle'];

const bucket = mkdtempSync(join(tmpdir(), 'descry-soak-bucket-'));
const JOB_IMAGES = 20;
for (let i = 0; i < JOB_IMAGES; i++)
  writeFileSync(join(bucket, `${String(i).padStart(2, '0')}.png`), gradient(i));

const host = await startAbuseHost(hostName, {
  DESCRY_ACCESS_LOG: 'false',
  ...(hostName === 'node' ? { DESCRY_JOB_BUCKETS: `IMAGES=${bucket}` } : {}),
});

/** Jobs belong to the key that started them: one key starts and reads them all. */
const JOB_KEY = BENCH_KEYS[3]!;
let turn = 0;
const key = () => BENCH_KEYS[turn++ % BENCH_KEYS.length]!;
const call = (path: string, init: RequestInit = {}, k = key()) =>
  fetch(`${host.base}${path}`, {
    ...init,
    headers: {
      Authorization: `Bearer ${k}`,
      ...(init.body ? { 'Content-Type': 'application/json' } : {}),
      ...init.headers,
    },
  });
const post = (path: string, body: unknown) =>
  call(path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });

// A stored classifier every key may use (classifiers are shared by the deployment).
const put = await call('/v1/classifiers/soak', { method: 'PUT', body: JSON.stringify({ labels: LABELS }) });
if (!put.ok) throw new Error(`PUT /v1/classifiers/soak answered ${put.status}: ${await put.text()}`);

const mix: Array<[number, string, () => Promise<Response>]> = [
  [45, 'classify', () => post('/v1/classify', { images: [SMALL], labels: LABELS })],
  [10, 'classify by id', () => post('/v1/classify', { images: [SMALL], classifier: 'soak' })],
  [5, 'adapt', () => post('/v1/classifiers/soak/adapt', { images: [b64(gradient(turn % 64))] })],
  [10, 'embeddings', () => post('/v1/embeddings', { texts: [`a photo of thing ${turn % 500}`] })],
  [5, 'bad: not JSON', () => post('/v1/classify', '{"images": [')],
  [
    5,
    'bad: format',
    () => post('/v1/classify', { images: [b64(new TextEncoder().encode('GIF89a nope'))], labels: LABELS }),
  ],
  [
    5,
    'bad: progressive 11584²',
    () => post('/v1/classify', { images: [b64(oversizedProgressive)], labels: LABELS }),
  ],
  [
    5,
    'bad: labels',
    () => post('/v1/classify', { images: [SMALL], labels: Array.from({ length: 300 }, (_, i) => `l${i}`) }),
  ],
  [5, 'bad: truncated', () => post('/v1/classify', { images: [SMALL.slice(0, 64)], labels: LABELS })],
  [5, 'healthz', () => fetch(`${host.base}/healthz`)],
];
const totalWeight = mix.reduce((sum, [w]) => sum + w, 0);
function pick(): [string, () => Promise<Response>] {
  let r = Math.random() * totalWeight;
  for (const [w, name, send] of mix) {
    r -= w;
    if (r < 0) return [name, send];
  }
  return [mix[0]![1], mix[0]![2]];
}

const statuses = new Map<string, number>();
const latencies = new Map<string, number[]>();
const count = (what: string) => {
  statuses.set(what, (statuses.get(what) ?? 0) + 1);
};
const serverErrors: string[] = [];
const pending = new Set<Promise<void>>();
const samples: Array<{ at: number; rss: number; isolate?: number }> = [];
const jobs: string[] = [];
const started = performance.now();

console.error(`soak: ${MINUTES} min of mixed traffic on ${hostName} (${host.base})`);
const traffic = setInterval(() => {
  const [name, send] = pick();
  const t = performance.now();
  const request = send()
    .then(async (response) => {
      const body = await response.text();
      count(`${name}|${response.status}`);
      // What a 5xx said, so a failure names its cause (problem+json code, or a bare runtime answer).
      if (response.status >= 500 && serverErrors.length < 10)
        serverErrors.push(
          `${name}: ${response.status} ${response.headers.get('content-type') ?? 'no type'} ${body.slice(0, 200)}`,
        );
      const list = latencies.get(name) ?? [];
      list.push(performance.now() - t);
      latencies.set(name, list);
    })
    .catch((error: Error) => count(`${name}|error ${error.message}`))
    .finally(() => pending.delete(request));
  pending.add(request);
}, 100);
const jobTimer =
  hostName === 'node'
    ? setInterval(async () => {
        const response = await call(
          '/v1/jobs',
          {
            method: 'POST',
            body: JSON.stringify({ labels: LABELS, batch_size: 4, source: { bucket: 'IMAGES', prefix: '' } }),
          },
          JOB_KEY,
        ).catch(() => undefined);
        if (response?.status === 202) jobs.push(((await response.json()) as { id: string }).id);
        else count(`job start|${response?.status ?? 'error no answer'}`);
      }, 30_000)
    : undefined;
const sampler = setInterval(async () => {
  const isolate = host.isolate ? await host.isolate.during(async () => {}) : undefined;
  samples.push({ at: performance.now() - started, rss: memory(host.pid).rss, isolate: isolate?.sampled });
  const minute = Math.floor((performance.now() - started) / 60_000);
  if (samples.length % 12 === 0)
    console.error(`soak: ${minute} min, RSS ${memory(host.pid).rss.toFixed(0)} MB`);
}, SAMPLE_MS);

// The isolate's WebAssembly memories (they never shrink, so growth past warm-up is a leak): from a
// heap snapshot after warm-up and at the end (each stops the isolate for about 2 s).
const wasm: { afterWarmUp?: number; end?: number } = {};
const wasmTimer = host.isolate
  ? setTimeout(async () => {
      wasm.afterWarmUp = await host.isolate!.wasmMemories();
    }, WARM_UP_MS)
  : undefined;
await new Promise((resolve) => setTimeout(resolve, DURATION_MS));
clearTimeout(wasmTimer);
clearInterval(traffic);
clearInterval(jobTimer);
clearInterval(sampler);
await Promise.all(pending);

// Every job finishes, with every image exactly once.
const jobOutcomes = new Map<string, number>();
for (const id of jobs) {
  let status = '';
  for (let i = 0; i < 240; i++) {
    const body = (await (await call(`/v1/jobs/${id}`, {}, JOB_KEY)).json()) as {
      status: string;
    };
    status = body.status;
    if (['completed', 'failed', 'cancelled'].includes(status)) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  let outcome = status;
  if (status === 'completed') {
    const text = await (await call(`/v1/jobs/${id}/results`, {}, JOB_KEY)).text();
    const keys = text
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { key: string }).key);
    outcome =
      keys.length === JOB_IMAGES && new Set(keys).size === JOB_IMAGES
        ? 'completed, every image once'
        : `completed, ${keys.length} lines, ${new Set(keys).size} keys`;
  }
  jobOutcomes.set(outcome, (jobOutcomes.get(outcome) ?? 0) + 1);
}
if (host.isolate) wasm.end = await host.isolate.wasmMemories();
await host.stop();
rmSync(bucket, { recursive: true, force: true });

// ---- report --------------------------------------------------------------------------------------

const median = (values: number[]) => percentile(values, 50);
const window = (from: number, to: number) => samples.filter((s) => s.at >= from && s.at < to);
const first = window(WARM_UP_MS, WARM_UP_MS + 60_000);
const last = window(DURATION_MS - 60_000, DURATION_MS + 1);
const drift = (pick: (s: (typeof samples)[number]) => number | undefined) => {
  const a = median(first.map(pick).filter((v): v is number => v !== undefined));
  const b = median(last.map(pick).filter((v): v is number => v !== undefined));
  return { a, b, percent: ((b - a) / a) * 100 };
};
const rss = drift((s) => s.rss);
const after = samples.filter((s) => s.at >= WARM_UP_MS).map((s) => s.rss);
const fiveHundreds = [...statuses].filter(([k]) => /\|5\d\d$/.test(k)).reduce((sum, [, n]) => sum + n, 0);
const errors = [...statuses].filter(([k]) => k.includes('|error ')).reduce((sum, [, n]) => sum + n, 0);

const rows = [...latencies.keys()].sort().map((name) => {
  const list = latencies.get(name)!;
  const seen = [...statuses]
    .filter(([k]) => k.startsWith(`${name}|`))
    .map(([k, n]) => `${k.slice(name.length + 1)}×${n}`)
    .join(', ');
  return [
    name,
    String(list.length),
    seen,
    `${Math.round(median(list))} ms`,
    `${Math.round(percentile(list, 99))} ms`,
  ];
});
const mb = (v: number) => `${v.toFixed(0)} MB`;
const lines = [
  `${hostName}, ${MINUTES} min of mixed traffic (10 requests/s over 4 keys${hostName === 'node' ? `, a job of ${JOB_IMAGES} images every 30 s` : ''}); warm-up ${WARM_UP_MS / 1000} s.`,
  '',
];
const outro = [
  '',
  `RSS after warm-up: ${mb(Math.min(...after))}–${mb(Math.max(...after))}; median of the first minute after warm-up ${mb(rss.a)}, of the last minute ${mb(rss.b)}: drift ${rss.percent >= 0 ? '+' : ''}${rss.percent.toFixed(1)}% (target ±10%).`,
];
if (host.isolate) {
  const isolate = drift((s) => (s.isolate === undefined ? undefined : s.isolate / 2 ** 20));
  outro.push(
    `Isolate JS heap and ArrayBuffers: ${mb(isolate.a)} → ${mb(isolate.b)}: drift ${isolate.percent >= 0 ? '+' : ''}${isolate.percent.toFixed(1)}%.`,
    `Isolate WebAssembly memories: ${wasm.afterWarmUp === undefined ? '–' : mb(wasm.afterWarmUp / 2 ** 20)} after warm-up → ${wasm.end === undefined ? '–' : mb(wasm.end / 2 ** 20)} at the end.`,
  );
}
outro.push(
  ...serverErrors.map((e) => `- ${e}`),
  `5xx: ${fiveHundreds}; connection errors: ${errors}.` +
    (jobs.length ? ` Jobs: ${[...jobOutcomes].map(([o, n]) => `${n} ${o}`).join('; ')}.` : ''),
  `Other: ${
    [...statuses]
      .filter(([k]) => k.startsWith('job start|'))
      .map(([k, n]) => `${k}×${n}`)
      .join(', ') || 'none'
  }.`,
  '',
  `Reproduce: \`npm run soak -- --minutes ${MINUTES}${hostName === 'node' ? '' : ` --host ${hostName}`}\` (load average ${loadavg()[0]!.toFixed(1)} when it ended).`,
);
const table = formatTable(lines, rows, outro, ['request', 'n', 'statuses', 'p50', 'p99']);
console.log(table);
if (MINUTES >= 10) {
  // One results file and one docs block per host: soak (Node) and soak-workerd.
  const block = hostName === 'node' ? 'soak' : `soak-${hostName}`;
  writeFileSync(join(root, `bench/results/${block}.md`), `${table}\n`);
  if (process.argv.includes('--docs'))
    console.log(`rewrote the ${block} block of ${writeMarkedBlock(root, block, table)}`);
}
process.exitCode = fiveHundreds > 0 || errors > 0 ? 1 : 0;
