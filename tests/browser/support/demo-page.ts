/**
 * Driving the demo page (examples/web) as a person does: through its controls, reading what it
 * renders. The page marks `body` with `data-model-source` ('network' or 'cache'),
 * `data-model-load-ms` and `data-ready-at` once the model is ready, `data-downloaded` ("loaded/total" bytes) with the
 * last download progress it showed, and counts finished classifications in `data-runs`.
 */
import type { Page } from 'playwright-core';

/** How long the model may take to become ready on a busy 2-core machine. */
const MODEL_TIMEOUT_MS = 120_000;

/** A rendered prediction. */
export interface RenderedPrediction {
  label: string;
  score: number;
  evidence: string[];
}

/** What the page shows after a classification. */
export interface Rendered {
  predictions: RenderedPrediction[];
  /** The error box: the SDK error's code (when typed) and its text. */
  error: { code: string | undefined; text: string } | undefined;
  note: string;
}

/** How the model became ready. */
export interface ModelReady {
  source: 'network' | 'cache';
  /** From the page's call to `Descry.load` until both encoders are ready. */
  loadMs: number;
  /** From navigation until then. */
  readyAtMs: number;
  /** The last download progress the page showed, when it downloaded anything. */
  progress: { loaded: number; total: number | undefined } | undefined;
  progressHidden: boolean;
}

/** Open the page and wait for the model. */
export async function openDemo(page: Page, url: string): Promise<ModelReady> {
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.modelSource !== undefined, null, {
    timeout: MODEL_TIMEOUT_MS,
  });
  return page.evaluate(() => {
    const { modelSource, modelLoadMs, readyAt, downloaded } = document.body.dataset;
    const [loaded, total] = downloaded?.split('/') ?? [];
    return {
      source: modelSource as 'network' | 'cache',
      loadMs: Number(modelLoadMs),
      readyAtMs: Number(readyAt),
      progress: downloaded ? { loaded: Number(loaded), total: total ? Number(total) : undefined } : undefined,
      progressHidden: document.querySelector<HTMLProgressElement>('#model-progress')!.hidden,
    };
  });
}

/** Run `action` (which starts a classification) and wait for the page to finish it. */
export async function afterRun(page: Page, action: () => Promise<void>): Promise<Rendered> {
  const before = await page.evaluate(() => Number(document.body.dataset.runs ?? 0));
  await action();
  await page.waitForFunction((n) => Number(document.body.dataset.runs ?? 0) > n, before, {
    timeout: MODEL_TIMEOUT_MS,
  });
  return rendered(page);
}

/** What the page currently shows. */
export function rendered(page: Page): Promise<Rendered> {
  return page.evaluate(() => {
    const predictions = [...document.querySelectorAll<HTMLLIElement>('#results > li')].map((item) => ({
      label: item.dataset.label ?? '',
      score: Number(item.dataset.score),
      evidence: [...item.querySelectorAll('.evidence > li')].map(
        (line) => line.firstChild?.textContent ?? '',
      ),
    }));
    const box = document.querySelector<HTMLElement>('#error');
    const error =
      box && !box.hidden
        ? { code: box.querySelector('.code')?.textContent ?? undefined, text: box.textContent ?? '' }
        : undefined;
    return { predictions, error, note: document.querySelector('#result-note')?.textContent ?? '' };
  });
}

/** Type `labels` into the labels box. */
export async function typeLabels(page: Page, labels: readonly string[]): Promise<void> {
  await page.fill('#labels', labels.join('\n'));
}

/** Choose an image file (a path, or bytes with a name) as a person does with the file picker. */
export async function chooseImage(
  page: Page,
  file: string | { name: string; bytes: Uint8Array },
): Promise<Rendered> {
  const input =
    typeof file === 'string'
      ? file
      : { name: file.name, mimeType: 'image/png', buffer: Buffer.from(file.bytes) };
  return afterRun(page, () => page.setInputFiles('#file', input));
}
