#!/usr/bin/env node
/**
 * Heavy requests against a live service, on Node (worker/hosts/node-server.node.ts) and in workerd (`wrangler dev
 * --local`), with the limits wrangler.toml deploys.
 *
 * For each host: start it, warm it (model loaded, both encoders run once), measure the baseline
 * (the streams below for 3 s with no heavy request), then send each heavy request REPEAT times in
 * a row while a stream of GET /healthz (one every 25 ms) and of small classify requests (one
 * OpenMoji fixture, one every 200 ms) runs beside it, and report:
 * - the heavy request's status and its slowest time;
 * - /healthz latency p50 / p99 and the small requests' p50 / p99 while it ran, beside the baseline;
 * - peak RSS of the host process (VmHWM, reset before each phase) and its growth over the idle
 *   process (just started, nothing loaded) and over the warm one.
 * The heavy requests are the issue's (16 PNGs of 4000×4000, about 62 KB each, one JSON body), a
 * control with as many small images as the next one, and the largest one the deployed limits accept
 * (as many images of DESCRY_MAX_IMAGE_PIXELS as DESCRY_MAX_REQUEST_PIXELS and DESCRY_MAX_IMAGES
 * allow). The control separates what large images cost from what any request of that many images
 * leaves behind: RSS also counts garbage V8 has not collected yet (wrangler dev sets no isolate
 * heap limit, so nothing presses it to) and allocator pages not returned.
 * Targets (issue 9): health p99 < 200 ms on Node; peak memory in workerd < 128 MB above the idle
 * runtime for any request the limits accept. RSS counts more than Workers do (compiled code,
 * garbage not yet collected), so it is an upper bound on the isolate's memory.
 *
 *   npm run bench:heavy [-- --host node|workerd] [--repeat 5] [--readme] [--var DESCRY_MAX_IMAGE_PIXELS=4194304 ...]
 *
 * With both hosts and the deployed limits it rewrites bench/results/heavy-requests.md, and with
 * --readme the block between the heavy:start / heavy:end markers of the docs (scripts/doc-blocks.mjs).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { writeMarkedBlock } from '../scripts/doc-blocks.mjs';
import { connectIsolate } from './isolate-memory.mjs';
import { deployedVars, memory, resetPeak, root, startNode, startWorkerd } from './service-hosts.mjs';

const hostArg = process.argv.indexOf('--host');
const hosts = hostArg > 0 ? [process.argv[hostArg + 1]] : ['node', 'workerd'];
const repeatArg = process.argv.indexOf('--repeat');
const REPEAT = repeatArg > 0 ? Number(process.argv[repeatArg + 1]) : 5;
const BASELINE_MS = 3000;
// `--var NAME=value` (repeatable) tries other limits than the deployed ones, on both hosts.
const overrides = Object.fromEntries(
  process.argv.flatMap((arg, i) => (process.argv[i - 1] === '--var' ? [arg.split('=')] : [])),
);

const vars = { ...deployedVars(), ...overrides };
const limits = {
  imagePixels: Number(vars.DESCRY_MAX_IMAGE_PIXELS),
  requestPixels: Number(vars.DESCRY_MAX_REQUEST_PIXELS),
  images: Number(vars.DESCRY_MAX_IMAGES),
};

/**
 * A PNG of `side`² pixels: one colour, or (`striped`) a colour per row, which still compresses to
 * a small file but is no single colour. Decoding costs the same for any content of a given size.
 */
function png(side, striped) {
  const data = new Uint8Array(side * side * 3);
  if (striped) {
    for (let y = 0; y < side; y++) data.fill((y * 37) & 255, y * side * 3, (y + 1) * side * 3);
  } else {
    data.fill(200);
  }
  return Buffer.from(encode({ width: side, height: side, data, channels: 3, depth: 8 })).toString('base64');
}

const LABELS = ['eyeglasses', 'sushi', 'hot dog', 'microphone'];
const smallPng = readFileSync(join(root, 'tests/fixtures/openmoji-eval/1F453.png'));
const small = smallPng.toString('base64');
// Width and height from the IHDR chunk.
const smallSize = `${smallPng.readUInt32BE(16)}×${smallPng.readUInt32BE(20)}`;

const issueImage = png(4000, false);
const acceptedSide = Math.floor(Math.sqrt(limits.imagePixels));
const acceptedCount = Math.max(
  1,
  Math.min(limits.images, Math.floor(limits.requestPixels / acceptedSide ** 2)),
);
const acceptedImage = png(acceptedSide, true);
const heavyRequests = [
  {
    name: `issue: 16 PNGs of 4000×4000 (${Math.round((issueImage.length * 3) / 4 / 1024)} KB each)`,
    images: Array.from({ length: 16 }, () => issueImage),
  },
  {
    // As many images as the largest accepted request, small ones: what the same number of decodes and
    // encoder runs costs in time and memory when the images are small.
    name: `control: ${acceptedCount} PNG(s) of ${smallSize}`,
    images: Array.from({ length: acceptedCount }, () => small),
  },
  {
    name: `largest accepted: ${acceptedCount} PNG(s) of ${acceptedSide}×${acceptedSide}`,
    images: Array.from({ length: acceptedCount }, () => acceptedImage),
  },
];

function classify(base, images) {
  return fetch(`${base}/v1/classify`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ images, labels: LABELS }),
  });
}

function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Fire `call` every `everyMs` (open loop) until stopped; latencies of the answers, and any failure. */
function stream(call, everyMs) {
  const latencies = [];
  const failures = [];
  const pending = [];
  const timer = setInterval(() => {
    const started = performance.now();
    pending.push(
      call().then(
        async (response) => {
          await response.arrayBuffer();
          latencies.push(performance.now() - started);
          if (!response.ok) failures.push(response.status);
        },
        (error) => failures.push(String(error)),
      ),
    );
  }, everyMs);
  return async () => {
    clearInterval(timer);
    await Promise.all(pending);
    return { latencies, failures };
  };
}

/**
 * The streams beside `work` (the heavy requests, or a pause for the baseline), the peak RSS meanwhile
 * (VmHWM after a reset, or sampled every 10 ms where the reset is not allowed).
 */
async function beside(host, work) {
  const exact = resetPeak(host.pid);
  let sampled = memory(host.pid).rss;
  const sampler = setInterval(() => {
    sampled = Math.max(sampled, memory(host.pid).rss);
  }, 10);
  const health = stream(() => fetch(`${host.base}/healthz`), 25);
  const smalls = stream(() => classify(host.base, [small]), 200);
  const measured = host.isolate ? await host.isolate.during(work) : { result: await work() };
  const { result, sampled: isolateSampled } = measured;
  // Let the streams see the service once the work is done, too.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const [h, s] = await Promise.all([health(), smalls()]);
  clearInterval(sampler);
  const peak = exact ? memory(host.pid).peak : sampled;
  return { ...result, health: h, small: s, peak, isolateSampled };
}

function baseline(host) {
  return beside(host, async () => {
    await new Promise((resolve) => setTimeout(resolve, BASELINE_MS));
    return { request: `none (baseline, ${BASELINE_MS / 1000} s)`, status: '', seconds: Number.NaN };
  });
}

function heavy(host, request) {
  return beside(host, async () => {
    const statuses = new Set();
    let slowest = 0;
    for (let i = 0; i < REPEAT; i++) {
      const started = performance.now();
      const response = await classify(host.base, request.images);
      const body = await response.text();
      slowest = Math.max(slowest, (performance.now() - started) / 1000);
      statuses.add(`${response.status}${response.ok ? '' : ` ${JSON.parse(body).code}`}`);
    }
    return { request: `${request.name} ×${REPEAT}`, status: [...statuses].join(', '), seconds: slowest };
  });
}

const rows = [];
for (const name of hosts) {
  const host = name === 'node' ? await startNode(overrides) : await startWorkerd(overrides);
  try {
    const idle = memory(host.pid).rss;
    const ready = await fetch(`${host.base}/healthz?ready=1`);
    if (!ready.ok) throw new Error(`${name}: /healthz?ready=1 answered ${ready.status}`);
    const warmup = await classify(host.base, [small]);
    if (!warmup.ok)
      throw new Error(`${name}: warm-up classify answered ${warmup.status}: ${await warmup.text()}`);
    const warm = memory(host.pid).rss;
    if (host.inspector !== undefined) {
      host.isolate = await connectIsolate(host.inspector, () =>
        fetch(`${host.base}/healthz`).catch(() => {}),
      );
    }
    rows.push({ host: name, idle, warm, ...(await baseline(host)) });
    for (const request of heavyRequests) {
      const result = await heavy(host, request);
      rows.push({ host: name, idle, warm, ...result });
      console.error(`${name}: ${result.request}: ${result.status}, slowest ${result.seconds.toFixed(2)} s`);
    }
    rows.push({ host: name, idle, warm, request: 'after', end: memory(host.pid).rss });
    if (host.isolate) {
      const wasm = await host.isolate.wasmMemories();
      for (const row of rows.filter((r) => r.host === name && r.isolateSampled !== undefined)) {
        row.isolate = { peak: row.isolateSampled + wasm, wasm };
      }
    }
  } finally {
    host.isolate?.close();
    host.stop();
  }
}

/** A Markdown table with padded columns, as the repo's formatter (Biome) writes it. */
function markdownTable(header, align, body) {
  const widths = header.map((_, c) => Math.max(3, ...[header, ...body].map((row) => row[c].length)));
  const cell = (text, c) => (align[c] === 'right' ? text.padStart(widths[c]) : text.padEnd(widths[c]));
  const line = (row) => `| ${row.map(cell).join(' | ')} |`;
  const rule = widths.map((w, c) => (align[c] === 'right' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w)));
  return [line(header), `| ${rule.join(' | ')} |`, ...body.map(line)];
}

const ms = (v) => `${Math.round(v)} ms`;
const mb = (v) => `${v.toFixed(0)} MB`;
const lines = [
  `Limits${Object.keys(overrides).length ? ' (overridden)' : ' (wrangler.toml)'}: ${limits.imagePixels} px per image, ` +
    `${limits.requestPixels} px per request, ${limits.images} images; ${vars.DESCRY_MAX_PENDING_REQUESTS} requests admitted, ` +
    `${vars.DESCRY_INFERENCE_CONCURRENCY} unit at a time. Each heavy request sent ${REPEAT} times in a row.`,
  'Targets: /healthz p99 < 200 ms on Node; workerd peak < 128 MB for any accepted request. "isolate peak" is the',
  "Worker isolate's JS heap and ArrayBuffers sampled through its V8 inspector, plus its WebAssembly memories",
  '(bench/isolate-memory.mjs), what Workers count; RSS also counts workerd itself, compiled code and unused pages.',
  '',
];
const body = rows
  .filter((r) => r.request !== 'after')
  .map((row) => {
    const h = row.health;
    const s = row.small;
    const failed = [...h.failures, ...s.failures];
    return [
      row.host,
      row.request,
      row.status || '–',
      Number.isNaN(row.seconds) ? '–' : `${row.seconds.toFixed(2)} s`,
      `${ms(percentile(h.latencies, 50))} / ${ms(percentile(h.latencies, 99))} (${h.latencies.length})`,
      `${ms(percentile(s.latencies, 50))} / ${ms(percentile(s.latencies, 99))} (${s.latencies.length}${failed.length ? `, failed: ${failed.join(' ')}` : ''})`,
      row.isolate ? `${mb(row.isolate.peak / 2 ** 20)} (wasm ${mb(row.isolate.wasm / 2 ** 20)})` : '–',
      mb(row.peak),
      `+${mb(row.peak - row.idle)}`,
      `+${mb(row.peak - row.warm)}`,
    ];
  });
lines.push(
  ...markdownTable(
    [
      'host',
      'heavy request',
      'answer',
      'slowest',
      '/healthz p50 / p99 (n)',
      'small classify p50 / p99 (n)',
      'isolate peak',
      'peak RSS',
      'above idle',
      'above warm',
    ],
    ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    body,
  ),
);
for (const row of rows.filter((r) => r.request === 'after')) {
  lines.push(
    '',
    `${row.host}: idle ${mb(row.idle)}, warm ${mb(row.warm)}, after the heavy requests ${mb(row.end)}.`,
  );
}
lines.push('', `Reproduce: \`npm run bench:heavy\` (load average ${loadavg()[0].toFixed(1)} when it ended).`);
const table = lines.join('\n');
console.log(table);
if (hosts.length === 2 && Object.keys(overrides).length === 0) {
  writeFileSync(join(root, 'bench/results/heavy-requests.md'), `${table}\n`);
  if (process.argv.includes('--readme')) {
    console.log(`rewrote the heavy block of ${writeMarkedBlock(root, 'heavy', table)}`);
  }
}
