/**
 * The SDK's browser build in headless Chromium (Debian's, driven by playwright-core): a page on a
 * real HTTP server on 127.0.0.1 imports dist/browser/descry.js, loads the embedded model by URL
 * and classifies a committed emoji image fetched by URL.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a build script in plain JavaScript
import { buildBrowser } from '../../scripts/build-browser.mjs';
import { fixtureChoice } from '../support/fixture-choice.js';
import { launchChromium } from './support/chromium.js';

const root = new URL('../..', import.meta.url).pathname;
const types: Record<string, string> = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
  '.html': 'text/html',
};

let server: Server;
let origin: string;
let browser: Browser;
let dist: string;

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), 'descry-browser-'));
  await buildBrowser(dist);
  const mounts: Record<string, string> = {
    '/dist/': dist,
    '/model/': join(root, 'models', 'emoji-clip'),
    '/images/': join(root, 'tests', 'fixtures', 'openmoji-eval'),
  };
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>descry</title>');
      return;
    }
    const mount = Object.keys(mounts).find((prefix) => url.pathname.startsWith(prefix));
    const relative = mount ? normalize(decodeURIComponent(url.pathname.slice(mount.length))) : '';
    if (!mount || relative.startsWith('..')) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(join(mounts[mount]!, relative));
      res
        .writeHead(200, { 'content-type': types[extname(relative)] ?? 'application/octet-stream' })
        .end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

describe('browser build in Chromium', () => {
  it('loads the model by URL and classifies an image', async () => {
    const { file, entry, candidates } = await fixtureChoice();

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${origin}/`);
    // A string, not a function: the test runner rewrites dynamic imports inside functions.
    const script = `(async () => {
      const { Descry } = await import(${JSON.stringify(`${origin}/dist/descry.js`)});
      const descry = await Descry.load(${JSON.stringify(`${origin}/model/`)});
      const [result] = await descry.classify(new URL(${JSON.stringify(`${origin}/images/${file}`)}), ${JSON.stringify(candidates)}, {
        templates: ['an emoji of {}'],
        topK: 3,
      });
      return { predictions: result.predictions, userAgent: navigator.userAgent };
    })()`;
    const result = (await page.evaluate(script)) as {
      predictions: Array<{ label: string; score: number }>;
      userAgent: string;
    };
    expect(errors).toEqual([]);
    expect(result.userAgent).toMatch(/Chrome/);
    expect(result.predictions).toHaveLength(3);
    expect(result.predictions[0]!.label).toBe(entry.name);
  });
});
