/**
 * What `/docs` shows in Chromium: the operations Swagger UI rendered, against the operations of
 * the service's OpenAPI document, with every request to another origin blocked (a page that loads
 * Swagger UI from a CDN renders nothing).
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { blockOtherOrigins } from './chromium.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** "METHOD /path" of every operation in the OpenAPI document at `origin`. */
export async function documentedOperations(origin: string): Promise<string[]> {
  const spec = (await (await fetch(`${origin}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(spec.paths)
    .flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => METHODS.includes(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    )
    .sort();
}

/** Open `/docs` offline and check it lists every documented operation. */
export async function expectDocsRenderOffline(page: Page, origin: string): Promise<void> {
  const blocked = await blockOtherOrigins(page, origin);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${origin}/docs`);
  const rendered = await page
    .waitForSelector('.opblock-summary-path', { timeout: 30_000 })
    .then(() => true)
    .catch(() => false);
  expect(rendered, `no route list; requests to other origins: ${blocked.join(', ') || 'none'}`).toBe(true);
  const shown = await page.$$eval('.opblock', (blocks) =>
    blocks.map((block) => {
      const method = block.querySelector('.opblock-summary-method')?.textContent ?? '';
      const path = block.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '';
      return `${method.toUpperCase()} ${path}`;
    }),
  );
  const documented = await documentedOperations(origin);
  expect(documented.length).toBeGreaterThan(5);
  expect(shown.sort()).toEqual(documented);
  expect(blocked).toEqual([]);
  expect(errors).toEqual([]);
}
