/**
 * Cross-request batching (`batching` load option): concurrent calls are joined into shared
 * vision-encoder runs of at most `maxImages`, each caller gets exactly the rows it would get alone,
 * and a failed run reaches every caller of it. The backend is the real onnxruntime-node backend,
 * wrapped to record the batch size of each run (and, in the last test, to fail one run).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Descry } from 'descry';
import emojiClip from 'descry/models/emoji-clip';
import { describe, expect, it } from 'vitest';
import { observedNodeBackend } from '../support/observed-backend.js';

const fixtures = new URL('../fixtures/openmoji-eval', import.meta.url).pathname;
const images = readdirSync(fixtures)
  .filter((f) => f.endsWith('.png'))
  .sort()
  .slice(0, 6)
  .map((f) => new Uint8Array(readFileSync(join(fixtures, f))));

/** The native backend, recording the batch size of every vision run; runs listed in `fail` throw. */
function recordingBackend(runs: number[], fail = new Set<number>()) {
  return observedNodeBackend({
    onRun(feeds) {
      runs.push(feeds.pixel_values!.dims[0]!);
      return fail.has(runs.length) ? new Error(`run ${runs.length} failed`) : undefined;
    },
  });
}

describe('batching across concurrent calls', () => {
  it('joins concurrent calls into runs of at most maxImages, each caller getting its own rows', async () => {
    const alone = await Descry.load(emojiClip);
    const expected = await alone.embedImages(images);
    const runs: number[] = [];
    const descry = await Descry.load(emojiClip, {
      backend: await recordingBackend(runs),
      batching: { windowMs: 50, maxImages: 4 },
    });
    const rows = await Promise.all(images.map((image) => descry.embedImages([image])));
    expect(runs).toEqual([4, 2]);
    rows.forEach((row, i) => {
      expect(row.rows).toBe(1);
      row.data.forEach((v, k) => {
        expect(v).toBeCloseTo(expected.data[i * expected.cols + k]!, 5);
      });
    });
  });

  it('lets a call that fills a run alone through at once, and a lone call runs after the window', async () => {
    const runs: number[] = [];
    const descry = await Descry.load(emojiClip, {
      backend: await recordingBackend(runs),
      batching: { windowMs: 5, maxImages: 4 },
    });
    await descry.embedImages(images.slice(0, 5));
    await descry.embedImages([images[0]!]);
    expect(runs).toEqual([5, 1]);
  });

  it('classifies the same with and without batching', async () => {
    const labels = ['cat', 'dog', 'red apple', 'sun'];
    const plain = await Descry.load(emojiClip);
    const batched = await Descry.load(emojiClip, { batching: { windowMs: 20, maxImages: 8 } });
    const expected = await plain.classify(images.slice(0, 3), labels);
    const got = await Promise.all(images.slice(0, 3).map((image) => batched.classify(image, labels)));
    got.forEach(([result], i) => {
      expect(result!.predictions.map((p) => p.label)).toEqual(expected[i]!.predictions.map((p) => p.label));
    });
  });

  it('rejects every caller of a run that fails, and the next run works', async () => {
    const runs: number[] = [];
    const descry = await Descry.load(emojiClip, {
      backend: await recordingBackend(runs, new Set([1])),
      batching: { windowMs: 50, maxImages: 8 },
    });
    const results = await Promise.allSettled(images.slice(0, 3).map((image) => descry.embedImages([image])));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((await descry.embedImages([images[0]!])).rows).toBe(1);
    expect(runs).toEqual([3, 1]);
  });
});
