/**
 * The demo page's model load in Chromium, first visit against second visit: how long from the
 * page's `Descry.load` until both encoders are ready (model files, ONNX Runtime's wasm, sessions),
 * and from navigation until then. The first visit downloads the model; the second reads it from
 * the Cache API (and the hashed wasm and scripts from the HTTP cache). Each run uses a fresh
 * browser profile; figures are medians over the runs.
 *
 * By default the page is served as `npm start` serves it: `wrangler dev --local`, Workers static
 * assets (gzip, the `_headers` cache rules). `--host node` uses the Node host instead. The network
 * is 127.0.0.1 unless `--mbps N` emulates an N Mbit/s link with 20 ms latency (Chromium's
 * network emulation, which applies to downloads, not to cache reads).
 *
 *   npm run bench:demo [-- --runs 5] [--mbps 40] [--host node]
 */
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { buildWebIfStale } from '../scripts/build-web.mjs';
import { launchChromium } from '../tests/browser/support/chromium.js';
import { type ModelReady, openDemo } from '../tests/browser/support/demo-page.js';
import { startWorkerDev } from '../tests/browser/support/wrangler.js';
import { startNodeServer } from '../worker/hosts/node-server.node.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    mbps: { type: 'string' },
    host: { type: 'string', default: 'workers' },
  },
});
const runs = Number(values.runs);
const mbps = values.mbps === undefined ? undefined : Number(values.mbps);

async function startHost(): Promise<{ url: string; stop(): Promise<void> }> {
  if (values.host === 'node') {
    const server = await startNodeServer({ port: 0, vars: { DESCRY_DEV: 'true', DESCRY_API_KEYS: '' } });
    return { url: server.url, stop: () => server.close() };
  }
  return startWorkerDev();
}

async function visit(page: Page, url: string): Promise<ModelReady> {
  if (mbps !== undefined) {
    const cdp = await page.context().newCDPSession(page);
    const bytesPerSecond = (mbps * 1e6) / 8;
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 20,
      downloadThroughput: bytesPerSecond,
      uploadThroughput: bytesPerSecond,
    });
  }
  return openDemo(page, url);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

await buildWebIfStale();
const host = await startHost();
const browser = await launchChromium();
const first: ModelReady[] = [];
const second: ModelReady[] = [];
try {
  for (let run = 0; run < runs; run++) {
    const context = await browser.newContext();
    const a = await visit(await context.newPage(), `${host.url}/`);
    const b = await visit(await context.newPage(), `${host.url}/`);
    if (a.source !== 'network' || b.source !== 'cache') {
      throw new Error(`run ${run}: expected a download then the cache, got ${a.source} then ${b.source}`);
    }
    first.push(a);
    second.push(b);
    console.log(
      `run ${run + 1}: first visit model ${a.loadMs.toFixed(0)} ms (page ready ${a.readyAtMs.toFixed(0)} ms), ` +
        `second ${b.loadMs.toFixed(0)} ms (${b.readyAtMs.toFixed(0)} ms)`,
    );
    await context.close();
  }
} finally {
  await browser.close();
  await host.stop();
}

const network = mbps === undefined ? '127.0.0.1' : `${mbps} Mbit/s, 20 ms latency (emulated)`;
const row = (name: string, visits: ModelReady[]) =>
  `| ${name} | ${median(visits.map((v) => v.loadMs)).toFixed(0)} | ${median(visits.map((v) => v.readyAtMs)).toFixed(0)} |`;
console.log(`
Demo page, embedded model, ${values.host} host, network ${network}, median of ${runs} fresh profiles:

| visit | Descry.load to encoders ready, ms | navigation to ready, ms |
| --- | ---: | ---: |
${row('first (downloads the model)', first)}
${row('second (Cache API)', second)}

second / first (model load): ${(median(second.map((v) => v.loadMs)) / median(first.map((v) => v.loadMs))).toFixed(2)}
`);
