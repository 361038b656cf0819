/**
 * What `npm start` serves: the Worker under `wrangler dev --local`, with the demo page as Workers
 * static assets (wrangler.toml `[assets]`). In Chromium the page at `/` loads the model and
 * classifies a committed image as the SDK does in Node, and `/docs` renders its route list with
 * every other origin blocked; the Worker, not the assets, answers the API, /healthz, /docs and
 * /openapi.json.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.js';
import { chooseImage, openDemo, typeLabels } from './support/demo-page.js';
import { expectDocsRenderOffline } from './support/docs-page.js';
import { clearestFixture } from './support/reference.js';
import { expectServiceRoutes } from './support/service-routes.js';
import { startWorkerDev, type WorkerDev } from './support/wrangler.js';

const root = new URL('../..', import.meta.url).pathname;

let worker: WorkerDev;
let browser: Browser;

beforeAll(async () => {
  [worker, browser] = await Promise.all([startWorkerDev(), launchChromium()]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

describe('the Worker with its static assets (npm start)', () => {
  it('serves the demo page at /, which classifies in the browser', async () => {
    const page = await browser.newPage();
    const ready = await openDemo(page, `${worker.url}/`);
    expect(ready.source).toBe('network');
    // Workers compress the model files and send no Content-Length: the page's own total stands in.
    expect(ready.progress?.loaded).toBe(ready.progress?.total);
    const fixture = await clearestFixture();
    await typeLabels(page, fixture.labels);
    const shown = await chooseImage(page, join(root, fixture.path));
    expect(shown.error).toBeUndefined();
    expect(shown.predictions[0]?.label).toBe(fixture.name);
  });

  it('renders /docs with no other origin reachable', async () => {
    await expectDocsRenderOffline(await browser.newPage(), worker.url);
  });

  it('answers the API, /healthz, /openapi.json and /docs from the Worker', async () => {
    await expectServiceRoutes(worker.url);
  });
});
