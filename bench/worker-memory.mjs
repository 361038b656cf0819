#!/usr/bin/env node
/**
 * Memory of the embedded model inside workerd.
 *
 * Method: start the Worker with `wrangler dev --local` (the same workerd binary production runs),
 * find the workerd process among wrangler's descendants, and read its resident set size
 * (VmRSS in /proc/<pid>/status, Linux) at three points: idle after start, after /healthz?ready=1
 * (config read, no encoder loaded yet), and after a classify with plain labels, which loads both
 * encoders and allocates ONNX Runtime's wasm heap. The differences are what the model costs one
 * isolate. RSS also counts the wasm linear memory, which V8 heap statistics would miss; it
 * over-counts slightly because workerd's own allocations during the requests are included, so the
 * idle → ready step is reported separately as the baseline of serving any request. The peak
 * (VmHWM) is reported too: Workers enforce 128 MB per isolate on peak use.
 *
 *   node bench/worker-memory.mjs [image.png]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startWranglerDev } from '../scripts/wrangler-dev.mjs';
import { memory, root, workerdPids } from './service-hosts.mjs';

const port = process.env.PORT ?? '8799';
const base = `http://127.0.0.1:${port}`;
const image = readFileSync(process.argv[2] ?? join(root, 'tests/fixtures/openmoji-eval/1F453.png')).toString(
  'base64',
);

const child = startWranglerDev({ port, stdio: 'ignore' });

async function until(check) {
  for (let i = 0; i < 240; i++) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('the Worker did not come up');
}

try {
  await until(async () => (await fetch(`${base}/healthz`)).ok);
  const pids = workerdPids(child.pid);
  if (pids.length === 0) throw new Error('workerd process not found');
  const snapshot = () => new Map(pids.map((pid) => [pid, memory(pid)]));
  const idle = snapshot();
  await fetch(`${base}/healthz?ready=1`);
  const ready = snapshot();
  const response = await fetch(`${base}/v1/classify`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ images: [image], labels: ['eyeglasses', 'sushi', 'hot dog', 'microphone'] }),
  });
  if (!response.ok) throw new Error(`classify answered ${response.status}: ${await response.text()}`);
  const loaded = snapshot();
  await fetch(`${base}/v1/classify`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ images: [image, image, image, image], labels: ['eyeglasses', 'sushi'] }),
  });
  const batch4 = snapshot();
  // The default DESCRY_MAX_IMAGES: the largest batch one request can make the isolate run.
  await fetch(`${base}/v1/classify`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      images: Array.from({ length: 16 }, () => image),
      labels: ['eyeglasses', 'sushi'],
    }),
  });
  const after = snapshot();
  // wrangler dev runs two workerd processes (a dev proxy and the runtime); the runtime is the one that grows.
  const pid = pids.reduce((best, p) =>
    after.get(p).rss - idle.get(p).rss > after.get(best).rss - idle.get(best).rss ? p : best,
  );
  const f = (n) => `${n.toFixed(1)} MB`;
  const [i, r, l, b, a] = [idle, ready, loaded, batch4, after].map((m) => m.get(pid));
  console.log(`workerd runtime pid ${pid} of ${pids.length} workerd processes (RSS of the process)`);
  console.log(`idle after start:            ${f(i.rss)}`);
  console.log(`after /healthz?ready=1:      ${f(r.rss)}  (+${f(r.rss - i.rss)}: config files read)`);
  console.log(`after first classify:        ${f(l.rss)}  (+${f(l.rss - r.rss)}: both encoders + ORT heap)`);
  console.log(`after a 4-image classify:    ${f(b.rss)}  (+${f(b.rss - l.rss)})`);
  console.log(`after a 16-image classify:   ${f(a.rss)}  (+${f(a.rss - b.rss)})`);
  console.log(`peak RSS (VmHWM):            ${f(a.peak)}`);
  console.log(`model cost in the isolate:   ~${f(a.rss - i.rss)} (Workers limit: 128 MB per isolate)`);
} finally {
  child.kill('SIGTERM');
}
