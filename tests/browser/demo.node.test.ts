/**
 * The demo page (examples/web) in Chromium, served by the Node host (worker/hosts/node-server.node.ts) on a real
 * server on 127.0.0.1, driven through its controls: the model downloads with a progress bar, then
 * loads from the Cache API on the next visit; zero-shot, descriptions (with evidence), subclasses (with
 * the subclass that matched) and TFUP
 * render what the SDK answers in Node for the same inputs; bad files show the SDK's error code.
 * Screenshots go to test-results/.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EMOJI_TEMPLATES, type ImageInput } from 'descry';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS, SAMPLE_FILES } from '../../examples/web/src/presets.js';
import { type RunningServer, startNodeServer } from '../../worker/hosts/node-server.node.js';
import { launchChromium } from './support/chromium.js';
import { afterRun, chooseImage, openDemo, type Rendered, typeLabels } from './support/demo-page.js';
import { clearestFixture, nodeClassify, nodeDescry } from './support/reference.js';

const root = new URL('../..', import.meta.url).pathname;
const RESULTS_DIR = join(root, 'test-results');
/** Scores in the page (onnxruntime-web) and in Node (onnxruntime-node) agree to float noise. */
const SCORE_TOLERANCE = 1e-3;

let server: RunningServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  // The page's build is made fresh by the globalSetup (tests/browser/support/build-web.ts).
  server = await startNodeServer({ port: 0, vars: { DESCRY_DEV: 'true', DESCRY_API_KEYS: '' } });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
  await mkdir(RESULTS_DIR, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

function expectSameAnswer(page: Rendered, node: { predictions: Array<{ label: string; score: number }> }) {
  expect(page.error).toBeUndefined();
  expect(page.predictions.map((p) => p.label)).toEqual(node.predictions.map((p) => p.label));
  for (const [i, prediction] of page.predictions.entries()) {
    expect(Math.abs(prediction.score - node.predictions[i]!.score)).toBeLessThan(SCORE_TOLERANCE);
  }
}

describe('the demo page in Chromium', () => {
  it('downloads the model with a progress bar on the first visit', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const ready = await openDemo(page, `${server.url}/`);
    expect(ready.source).toBe('network');
    expect(ready.progress?.total).toBeGreaterThan(1_000_000);
    expect(ready.progress?.loaded).toBe(ready.progress?.total);
    expect(ready.progressHidden).toBe(true);
    // The build's _headers (COOP + COEP) make the page cross-origin isolated: threads for ONNX Runtime.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(errors).toEqual([]);
  });

  it('classifies a committed image and ranks the labels as the SDK does in Node', async () => {
    const fixture = await clearestFixture();
    await typeLabels(page, fixture.labels);
    const shown = await chooseImage(page, join(root, fixture.path));
    expect(shown.predictions[0]?.label).toBe(fixture.name);
    expectSameAnswer(shown, fixture.result);
    expect(await page.textContent('#results > li:first-child .label')).toBe(fixture.name);
    await page.screenshot({ path: join(RESULTS_DIR, 'demo-zero-shot.png'), fullPage: true });
  });

  it('explains a description-based answer with its descriptors', async () => {
    const preset = PRESETS.find((p) => p.method === 'descriptions')!;
    await page.selectOption('#preset', { label: preset.name });
    const sample = preset.samples[0]!;
    const shown = await afterRun(page, () => page.click(`.sample[title$="${sample}"]`));
    const node = await nodeClassify(`tests/fixtures/openmoji-eval/${sample}`, preset.labels, {
      method: 'descriptions',
      descriptors: preset.descriptors!,
      descriptorTemplate: preset.descriptorTemplate!,
      aggregation: preset.aggregation!,
    });
    expectSameAnswer(shown, node);
    for (const [i, prediction] of shown.predictions.entries()) {
      const evidence = node.predictions[i]!.evidence!.map((e) => e.descriptor);
      expect(prediction.evidence).toEqual(evidence.slice(0, 3));
    }
    await page.screenshot({ path: join(RESULTS_DIR, 'demo.png'), fullPage: true });
  });

  it('adapts with TFUP to the unlabelled images added', async () => {
    const preset = PRESETS.find((p) => p.method === 'descriptions')!;
    await page.check('input[name="method"][value="tfup"]');
    const none = await afterRun(page, () => page.click('#classify'));
    expect(none.note).toMatch(/instead of tfup/);
    await page.click('#add-samples');
    await expect
      .poll(() => page.textContent('#unlabelled-count'))
      .toBe(`${SAMPLE_FILES.length} unlabelled images`);
    const shown = await afterRun(page, () => page.click('#classify'));
    expect(shown.note).toMatch(/^tfup in/);

    const descry = await nodeDescry();
    const read = (file: string) => readFile(join(root, 'tests/fixtures/openmoji-eval', file));
    const classifier = await descry.compile({ labels: preset.labels, templates: EMOJI_TEMPLATES });
    const unlabelled: ImageInput[] = await Promise.all(SAMPLE_FILES.map(read));
    const cache = await descry.adapt(classifier, unlabelled);
    const [node] = await descry.classify(await read(preset.samples[0]!), classifier, {
      method: 'tfup',
      tfup: { cache },
    });
    expectSameAnswer(shown, node!);
  });

  it('classifies by subclasses from the embedded hierarchy and shows the subclass that matched', async () => {
    const preset = PRESETS.find((p) => p.method === 'subclasses')!;
    await page.selectOption('#preset', { label: preset.name });
    expect(await page.isVisible('#subclasses-options')).toBe(true);
    const node = await nodeDescry();
    const read = (file: string) => readFile(join(root, 'tests/fixtures/openmoji-eval', file));
    const truth = JSON.parse((await read('labels.json')).toString()) as Record<
      string,
      { subcategory: string }
    >;
    let right = 0;
    for (const sample of preset.samples) {
      const shown = await afterRun(page, () => page.click(`.sample[title$="${sample}"]`));
      const [expected] = await node.classify(await read(sample), preset.labels, {
        method: 'subclasses',
        subclasses: preset.subclasses!,
        templates: EMOJI_TEMPLATES,
      });
      expectSameAnswer(shown, expected!);
      for (const [i, prediction] of shown.predictions.entries()) {
        expect(prediction.evidence[0]).toBe(expected!.predictions[i]!.evidence![0]!.descriptor);
        expect(preset.subclasses![prediction.label]).toContain(prediction.evidence[0]);
      }
      expect(shown.note).toMatch(/^subclasses in/);
      if (shown.predictions[0]!.label === truth[sample]!.subcategory) right++;
    }
    // The preset's samples are ones the model gets right (presets.ts); a change that breaks them shows here.
    expect(right).toBe(preset.samples.length);
    await page.screenshot({ path: join(RESULTS_DIR, 'demo-subclasses.png'), fullPage: true });

    // A subclass under two labels: the SDK's typed error, shown with its code.
    await page.fill('#subclasses', JSON.stringify({ 'food fruit': ['apple'], 'food vegetable': ['apple'] }));
    const refused = await afterRun(page, () => page.click('#classify'));
    expect(refused.error?.code).toBe('invalid_input');
    expect(refused.error?.text).toContain('"apple"');
    expect(refused.predictions).toEqual([]);
  });

  it('shows the SDK error code for files that are not images it can read', async () => {
    await page.check('input[name="method"][value="zeroshot"]');
    const png = await readFile(join(root, 'tests/fixtures/openmoji-eval', SAMPLE_FILES[0]!));
    const cases = [
      { name: 'notes.png', bytes: new TextEncoder().encode('these are notes, not a picture') },
      { name: 'truncated.png', bytes: png.subarray(0, 60) },
      { name: 'empty.png', bytes: new Uint8Array() },
    ];
    const labels = ['cat', 'dog'];
    await typeLabels(page, labels);
    for (const { name, bytes } of cases) {
      const expected = await (await nodeDescry()).classify(bytes, labels).then(
        () => undefined,
        (error: { code?: string }) => error.code,
      );
      expect(expected, name).toMatch(/^image_/);
      const shown = await chooseImage(page, { name, bytes });
      expect(shown.error?.code, name).toBe(expected);
      expect(shown.predictions).toEqual([]);
    }
    await page.screenshot({ path: join(RESULTS_DIR, 'demo-error.png'), fullPage: true });
  });

  it('loads the model from the Cache API on the next visit', async () => {
    const again = await context.newPage();
    const ready = await openDemo(again, `${server.url}/`);
    expect(ready.source).toBe('cache');
    expect(ready.progress).toBeUndefined();
    await again.close();
  });
});
