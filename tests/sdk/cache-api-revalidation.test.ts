/**
 * The Cache API download cache (browsers, Workers) revalidates a moving revision as the disk cache
 * does: runs inside workerd on miniflare's real Cache API (in Node, which has no `caches`, it is
 * skipped). The server is a function standing in for the hub: it sends ETag and X-Repo-Commit and
 * answers If-None-Match with 304.
 */
import { cacheApiDownloadCache, urlSource } from 'descry';
import { describe, expect, it } from 'vitest';

const COMMIT = 'c'.repeat(40);

function fakeHub() {
  const state = { version: 1, requests: [] as Array<{ url: string; status: number }> };
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const body = new TextEncoder().encode(JSON.stringify({ version: state.version }));
    const etag = `"v${state.version}"`;
    const headers = { ETag: etag, 'X-Repo-Commit': String(state.version).repeat(40) };
    const ifNoneMatch = new Headers(init?.headers).get('if-none-match');
    const status = ifNoneMatch === etag ? 304 : 200;
    state.requests.push({ url, status });
    return new Response(status === 304 ? null : body, { status, headers });
  };
  return { state, fetch: fetch as typeof globalThis.fetch };
}

const text = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as { version: number };

describe.runIf(typeof caches !== 'undefined')('Cache API download cache', () => {
  it('revalidates main with a conditional request and takes a re-export', async () => {
    const hub = fakeHub();
    const cache = cacheApiDownloadCache(`descry-test-${Math.random()}`)!;
    const source = urlSource('https://hub.test/org/model/resolve/main/', { cache, fetch: hub.fetch });
    expect(text(await source.read('config.json')).version).toBe(1);
    expect(await cache.validators!('https://hub.test/org/model/resolve/main/config.json')).toEqual({
      etag: '"v1"',
      commit: '1'.repeat(40),
    });
    expect(text(await source.read('config.json')).version).toBe(1);
    expect(hub.state.requests.map((r) => r.status)).toEqual([200, 304]);
    hub.state.version = 2;
    expect(text(await source.read('config.json')).version).toBe(2);
    expect(text(await source.read('config.json')).version).toBe(2);
    expect(hub.state.requests.map((r) => r.status)).toEqual([200, 304, 200, 304]);
  });

  it('never asks again about a pinned commit', async () => {
    const hub = fakeHub();
    const cache = cacheApiDownloadCache(`descry-test-${Math.random()}`)!;
    const source = urlSource(`https://hub.test/org/model/resolve/${COMMIT}/`, { cache, fetch: hub.fetch });
    expect(text(await source.read('config.json')).version).toBe(1);
    hub.state.version = 2;
    expect(text(await source.read('config.json')).version).toBe(1);
    expect(hub.state.requests).toHaveLength(1);
  });
});
