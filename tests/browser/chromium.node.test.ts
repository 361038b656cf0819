/**
 * The SDK's browser build in headless Chromium (Debian's, driven by playwright-core): a page on a
 * real HTTP server on 127.0.0.1 imports dist/browser/descry.js, loads the embedded model by URL
 * and classifies a committed emoji image fetched by URL; `DescryWorker` (the same API, the model in
 * the build's descry-worker.js) answers the same and rebuilds the SDK's typed errors on the page, on
 * a plain page and on a cross-origin isolated one (`?isolated` pages here are served with
 * COOP/COEP), where ONNX Runtime runs with 2 threads inside the worker.
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
    // The same files under other URLs: nothing an earlier page cached answers for them.
    '/model-worker/': join(root, 'models', 'emoji-clip'),
    '/model-isolated/': join(root, 'models', 'emoji-clip'),
    '/images/': join(root, 'tests', 'fixtures', 'openmoji-eval'),
  };
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // Cross-origin isolation for pages asked with ?isolated (COOP and COEP); COEP and CORP on every
    // response, as a worker started by an isolated page must send COEP itself.
    const headers = {
      'cross-origin-embedder-policy': 'require-corp',
      'cross-origin-resource-policy': 'same-origin',
      ...(url.searchParams.has('isolated') ? { 'cross-origin-opener-policy': 'same-origin' } : {}),
    };
    if (url.pathname === '/') {
      res
        .writeHead(200, { ...headers, 'content-type': 'text/html' })
        .end('<!doctype html><title>descry</title>');
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
        .writeHead(200, {
          ...headers,
          'content-type': types[extname(relative)] ?? 'application/octet-stream',
        })
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

  it('runs the same classification in a worker (DescryWorker), with typed errors and threads', async () => {
    const { file, candidates } = await fixtureChoice();
    for (const isolated of [false, true]) {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${origin}/${isolated ? '?isolated' : ''}`);
      const script = `(async () => {
        const { Descry, DescryWorker, ImageDecodeError, isDescryError } = await import(${JSON.stringify(`${origin}/dist/descry.js`)});
        const image = new URL(${JSON.stringify(`${origin}/images/${file}`)});
        const labels = ${JSON.stringify(candidates)};
        const options = { templates: ['an emoji of {}'], topK: 3 };
        // The worker first: it downloads the model (with progress), the page then reads the cache.
        const progress = [];
        const worker = await DescryWorker.load(${JSON.stringify(isolated ? '/model-isolated/' : '/model-worker/')}, {
          numThreads: crossOriginIsolated ? 2 : 1,
          onProgress: (p) => progress.push(p.file),
        });
        const onPage = await Descry.load(${JSON.stringify(`${origin}/${isolated ? 'model-isolated' : 'model-worker'}/`)});
        const [expected] = await onPage.classify(image, labels, options);
        const [byLabels] = await worker.classify(image, labels, options);
        const classifier = await worker.compile({ labels, templates: ['an emoji of {}'] });
        const [byClassifier] = await worker.classify(image, classifier, { topK: 3 });
        const embeddings = await worker.embedImages([image]);
        let error;
        try {
          await worker.classify(new Uint8Array([1, 2, 3, 4]), labels);
        } catch (e) {
          error = { typed: isDescryError(e), code: e.code, instance: e instanceof ImageDecodeError };
        }
        worker.terminate();
        return {
          isolated: crossOriginIsolated,
          expected: expected.predictions,
          byLabels: byLabels.predictions,
          byClassifier: byClassifier.predictions,
          classifierLabels: classifier.labels,
          rows: embeddings.rows,
          progress,
          error,
        };
      })()`;
      const result = (await page.evaluate(script)) as {
        isolated: boolean;
        expected: Array<{ label: string; score: number }>;
        byLabels: Array<{ label: string; score: number }>;
        byClassifier: Array<{ label: string; score: number }>;
        classifierLabels: string[];
        rows: number;
        progress: string[];
        error: { typed: boolean; code: string; name: string } | undefined;
      };
      await page.close();
      expect(errors).toEqual([]);
      expect(result.isolated).toBe(isolated);
      expect(result.byLabels.map((p) => p.label)).toEqual(result.expected.map((p) => p.label));
      expect(result.byClassifier.map((p) => p.label)).toEqual(result.expected.map((p) => p.label));
      for (const [i, p] of result.byLabels.entries()) {
        expect(Math.abs(p.score - result.expected[i]!.score)).toBeLessThan(1e-4);
        expect(Math.abs(result.byClassifier[i]!.score - result.expected[i]!.score)).toBeLessThan(1e-4);
      }
      expect(result.classifierLabels).toEqual(candidates);
      expect(result.rows).toBe(1);
      expect(result.progress).toContain('config.json');
      expect(result.error).toEqual({ typed: true, code: 'image_unsupported_format', instance: true });
    }
  });
});
