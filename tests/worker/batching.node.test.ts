/**
 * DESCRY_BATCH_WINDOW_MS on the Node server: with a window, concurrent classify requests are
 * joined into shared vision runs (the server's metrics count the images of each run) and get the
 * answers they get from a server that runs each alone; a malformed window stops the server from
 * starting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startNodeServer } from '../../worker/hosts/node-server.node.js';
import { emojiFixtures } from './support/fixture-images.js';
import { TEST_KEYS, TEST_VARS } from './support/test-vars.js';

const headers = { Authorization: `Bearer ${TEST_KEYS[0]}`, 'Content-Type': 'application/json' };
const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

let batched: RunningServer;
let alone: RunningServer;
beforeAll(async () => {
  // Joining needs several vision units in flight at once: more than one slot per gate lane.
  batched = await startNodeServer({
    port: 0,
    vars: { ...TEST_VARS, DESCRY_BATCH_WINDOW_MS: '25', DESCRY_INFERENCE_CONCURRENCY: '4' },
  });
  alone = await startNodeServer({ port: 0, vars: { ...TEST_VARS, DESCRY_BATCH_WINDOW_MS: '0' } });
});
afterAll(async () => {
  await batched?.close();
  await alone?.close();
});

type Answer = { results: Array<{ predictions: Array<{ label: string; score: number }> }> };

async function classify(server: RunningServer, image: Uint8Array, labels: string[]): Promise<Answer> {
  const response = await fetch(`${server.url}/v1/classify`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ images: [toBase64(image)], labels }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Answer;
}

describe('cross-request batching on the Node server', () => {
  it('answers concurrent requests as a server without batching does', async () => {
    const { images, labels } = await emojiFixtures();
    const together = await Promise.all(images.map((image) => classify(batched, image.bytes, labels)));
    for (const [i, image] of images.entries()) {
      const expected = await classify(alone, image.bytes, labels);
      const got = together[i]!.results[0]!.predictions;
      expect(got.map((p) => p.label)).toEqual(expected.results[0]!.predictions.map((p) => p.label));
      expect(got[0]!.label).toBe(image.label);
      got.forEach((p, k) => {
        expect(p.score).toBeCloseTo(expected.results[0]!.predictions[k]!.score, 4);
      });
    }
    // The requests were joined: some vision run carried more than one image (the server's metrics).
    const metrics = await (await fetch(`${batched.url}/metrics`, { headers })).text();
    const runs = Number(/^descry_batched_vision_run_images_count (\d+)/m.exec(metrics)?.[1]);
    const single = Number(/^descry_batched_vision_run_images_bucket\{le="1"\} (\d+)/m.exec(metrics)?.[1]);
    expect(runs).toBeGreaterThan(0);
    expect(single).toBeLessThan(runs);
    expect(Number(/^descry_batched_vision_run_images_sum (\d+)/m.exec(metrics)?.[1])).toBe(images.length);
  });

  it('refuses a malformed window at start', async () => {
    const start = async () =>
      startNodeServer({ port: 0, vars: { ...TEST_VARS, DESCRY_BATCH_WINDOW_MS: '-1' } });
    await expect(start()).rejects.toThrow(/DESCRY_BATCH_WINDOW_MS/);
  });
});
