/**
 * The Node host's static files (worker/hosts/static-site.node.ts). `/docs` in Chromium with every
 * request to another origin blocked: Swagger UI comes from the service itself (swagger-ui-dist,
 * pinned by the lockfile), so the route list renders offline, without the demo page's build
 * (`site: false`). The API's routes win over files of the same name in the site folder, whose
 * `_headers` rules apply as on Workers.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startNodeServer } from '../../worker/hosts/node-server.node.js';
import { launchChromium } from './support/chromium.js';
import { expectDocsRenderOffline } from './support/docs-page.js';
import { expectServiceRoutes } from './support/service-routes.js';

const RESULTS_DIR = new URL('../../test-results', import.meta.url).pathname;
const VARS = { DESCRY_API_KEYS: 'site-test-key' };

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe('/docs on Node', () => {
  it('renders every route of the OpenAPI document with no other origin reachable', async () => {
    const server = await startNodeServer({ port: 0, site: false, vars: VARS });
    try {
      const page = await browser.newPage();
      await expectDocsRenderOffline(page, server.url);
      await mkdir(RESULTS_DIR, { recursive: true });
      await page.screenshot({ path: join(RESULTS_DIR, 'docs.png') });
    } finally {
      await server.close();
    }
  });
});

describe('the site folder on Node', () => {
  let site: string;
  let server: RunningServer;

  beforeAll(async () => {
    site = await mkdtemp(join(tmpdir(), 'descry-site-'));
    // Decoys named like the service's own routes.
    await writeFile(join(site, 'index.html'), '<!doctype html><title>the page</title>');
    await writeFile(join(site, 'healthz'), 'decoy');
    await writeFile(join(site, 'openapi.json'), '{"decoy":true}');
    await mkdir(join(site, 'docs'));
    await writeFile(join(site, 'docs', 'index.html'), 'decoy');
    await mkdir(join(site, 'v1'));
    await writeFile(join(site, 'v1', 'classify'), 'decoy');
    await mkdir(join(site, 'assets'));
    await writeFile(join(site, 'assets', 'app-1234.js'), 'export {};');
    await writeFile(
      join(site, '_headers'),
      '# cache rules\n/assets/*\n  Cache-Control: public, max-age=60\n  X-Rule: assets\n',
    );
    server = await startNodeServer({ port: 0, site, vars: VARS });
  });

  afterAll(async () => {
    await server?.close();
    await rm(site, { recursive: true, force: true });
  });

  it('serves the page at /', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toContain('the page');
  });

  it('answers the API, /healthz, /openapi.json and /docs itself, never with a file', async () => {
    await expectServiceRoutes(server.url);
  });

  it("applies the site's _headers rules, as Workers static assets do, and keeps the file private", async () => {
    const script = await fetch(`${server.url}/assets/app-1234.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toBe('public, max-age=60');
    expect(script.headers.get('x-rule')).toBe('assets');
    expect((await fetch(`${server.url}/`)).headers.get('x-rule')).toBeNull();
    expect((await fetch(`${server.url}/_headers`)).status).toBe(404);
  });

  it('answers a missing file with the API problem 404', async () => {
    const response = await fetch(`${server.url}/no-such-file.png`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });
});
