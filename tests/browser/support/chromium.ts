/**
 * Debian's Chromium driven by playwright-core (no browser download is possible here): the flags
 * every browser test and bench uses, and a guard that keeps a page on its own origin.
 */
import { type Browser, chromium, type Page } from 'playwright-core';

/** The Chromium binary: $DESCRY_CHROMIUM, else Debian's. */
export const CHROMIUM_PATH = process.env.DESCRY_CHROMIUM ?? '/usr/bin/chromium';

/** Headless Chromium without background traffic (updates, sync, QUIC probes). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/**
 * Aborts every request `page` makes to another origin than `origin` and returns the list of those
 * requests: a page that needs a CDN fails, and the list says what it asked for.
 */
export async function blockOtherOrigins(page: Page, origin: string): Promise<string[]> {
  const blocked: string[] = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  return blocked;
}
