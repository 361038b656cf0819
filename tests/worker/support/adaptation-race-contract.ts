/**
 * A classifier replaced while it is being adapted, the same on every host: a PUT with new labels
 * (or new templates) and 20 adapt calls sent at once, round after round, with and without a cache
 * before the race. Afterwards the cache must be built for the classifier that is stored (TFUP
 * classifies with it, no 409 and no degradation), hold every image that any adapt call added,
 * and GET must report it so.
 */
import { expect, it } from 'vitest';
import { base64, solidPng } from './synthetic-images.js';
import { TEST_KEYS } from './test-vars.js';

const JSON_AUTH = { Authorization: `Bearer ${TEST_KEYS[0]}`, 'Content-Type': 'application/json' };

/** Adapt calls raced against each replace. */
export const RACING_ADAPTS = 20;
/** Where the PUT goes among the adapts, per round: first, in the middle, last. */
const PUT_POSITIONS = [0, RACING_ADAPTS / 2, RACING_ADAPTS];

interface ClassifierInfo {
  labels: string[];
  templates: string[];
  adaptation: { images: number; keys_per_class: number; updated: string | null; current: boolean } | null;
}

/** Register the suite against a service reached through `fetch`. */
export function adaptationRaceContract(fetch: (path: string, init?: RequestInit) => Promise<Response>): void {
  const send = (method: string, path: string, body?: unknown) =>
    fetch(path, {
      method,
      headers: JSON_AUTH,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  // Distinct small images, so that every added feature is a different one.
  const images = Array.from({ length: RACING_ADAPTS + 1 }, (_, i) =>
    base64(solidPng(16, 16, [(i * 37) % 256, (i * 91) % 256, (i * 53) % 256, 255])),
  );

  it('rebuilds the cache for new labels from the images it holds when a classifier is replaced', async () => {
    const id = `replace-${crypto.randomUUID().slice(0, 8)}`;
    expect((await send('PUT', `/v1/classifiers/${id}`, { labels: ['cat', 'dog'] })).status).toBe(201);
    const none = (await (await send('GET', `/v1/classifiers/${id}`)).json()) as ClassifierInfo;
    expect(none.adaptation).toBeNull();
    const adapted = await send('POST', `/v1/classifiers/${id}/adapt`, { images: images.slice(0, 3) });
    expect(adapted.status, await adapted.clone().text()).toBe(200);
    const before = (await (await send('GET', `/v1/classifiers/${id}`)).json()) as ClassifierInfo;
    expect(before.adaptation).toMatchObject({ images: 3, current: true });
    expect((await send('PUT', `/v1/classifiers/${id}`, { labels: ['star', 'clock', 'moon'] })).status).toBe(
      200,
    );
    const after = (await (await send('GET', `/v1/classifiers/${id}`)).json()) as ClassifierInfo;
    expect(after.adaptation).toMatchObject({ images: 3, current: true });
    expect(after.adaptation!.keys_per_class).toBeGreaterThan(0);
    expect(Date.parse(after.adaptation!.updated!)).toBeGreaterThanOrEqual(
      Date.parse(before.adaptation!.updated!),
    );
    const tfup = await send('POST', '/v1/classify', { images: [images[0]], classifier: id, method: 'tfup' });
    expect(((await tfup.json()) as { degraded?: unknown }).degraded).toBeUndefined();
  });

  const cases = [
    {
      name: 'new labels',
      before: ['cat', 'dog', 'pizza'],
      after: { labels: ['star', 'clock', 'lightning', 'moon'] },
    },
    {
      name: 'new templates',
      before: ['cat', 'dog', 'pizza'],
      after: { labels: ['cat', 'dog', 'pizza'], templates: ['a {} emoji'] },
    },
  ];
  for (const { name, before, after } of cases) {
    for (const adaptedBefore of [false, true]) {
      it(`leaves a cache for the stored classifier after a PUT of ${name} raced by ${RACING_ADAPTS} adapts (${adaptedBefore ? 'with' : 'without'} a cache before)`, async () => {
        for (const [round, position] of PUT_POSITIONS.entries()) {
          const id = `race-${crypto.randomUUID().slice(0, 8)}`;
          expect((await send('PUT', `/v1/classifiers/${id}`, { labels: before })).status).toBe(201);
          let expectedImages = RACING_ADAPTS;
          if (adaptedBefore) {
            const first = await send('POST', `/v1/classifiers/${id}/adapt`, {
              images: [images[RACING_ADAPTS]],
            });
            expect(first.status, await first.clone().text()).toBe(200);
            expectedImages += 1;
          }
          // All sent at once, in this order: the PUT's write lands before, among or after the adapts'.
          const adapts = images
            .slice(0, RACING_ADAPTS)
            .map((image) => () => send('POST', `/v1/classifiers/${id}/adapt`, { images: [image] }));
          const calls = [...adapts];
          calls.splice(position, 0, () => send('PUT', `/v1/classifiers/${id}`, after));
          const answers = await Promise.all(calls.map((call) => call()));
          const [replaced] = answers.splice(position, 1);
          const adapted = answers;
          expect(replaced!.status, await replaced!.clone().text()).toBe(200);
          for (const answer of adapted) expect(answer.status, await answer.clone().text()).toBe(200);

          const info = (await (await send('GET', `/v1/classifiers/${id}`)).json()) as ClassifierInfo;
          expect(info.labels).toEqual(after.labels);
          expect(info.adaptation, `round ${round}`).toMatchObject({ current: true, images: expectedImages });
          expect(info.adaptation!.keys_per_class).toBeGreaterThan(0);
          expect(Number.isNaN(Date.parse(info.adaptation!.updated ?? ''))).toBe(false);

          const tfup = await send('POST', '/v1/classify', {
            images: [images[0]],
            classifier: id,
            method: 'tfup',
          });
          expect(tfup.status, await tfup.clone().text()).toBe(200);
          const body = (await tfup.json()) as {
            degraded?: unknown;
            results: Array<{ predictions: unknown[] }>;
          };
          expect(body.degraded, `round ${round}: TFUP did not use the cache`).toBeUndefined();
          expect(body.results[0]!.predictions).toHaveLength(after.labels.length);
          expect((await send('DELETE', `/v1/classifiers/${id}`)).status).toBe(204);
          const gone = (await send('PUT', `/v1/classifiers/${id}`, { labels: before })).status;
          expect(gone).toBe(201);
          const recreated = (await (await send('GET', `/v1/classifiers/${id}`)).json()) as ClassifierInfo;
          // Deleting a classifier deletes its cache: a new one of the same id starts with none.
          expect(recreated.adaptation).toBeNull();
        }
      });
    }
  }
}
