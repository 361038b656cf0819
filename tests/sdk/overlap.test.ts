/**
 * Decoding overlaps inference inside one call: the next run's images are decoded while the vision
 * tower works on the current run, with at most one run in the tower and one decoded run waiting
 * (one extra run's pixels in memory), and the rows are the same as without overlap. Observed
 * through the call's `schedule`, which sees every unit start and end.
 */
import { Descry, type Schedule } from 'descry';
import emojiClip from 'descry/models/emoji-clip';
import { describe, expect, inject, it } from 'vitest';

const decodeBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const fixtureBytes = inject('emojiFixtures').images.map((image) => decodeBase64(image.base64));

type Event = `${'decode' | 'vision'} ${'start' | 'end'}`;

function recorder() {
  const events: Event[] = [];
  const schedule: Schedule = async (unit, work) => {
    if (unit.kind === 'text') return work();
    events.push(`${unit.kind} start`);
    try {
      return await work();
    } finally {
      events.push(`${unit.kind} end`);
    }
  };
  return { events, schedule };
}

describe('decode and inference overlap', () => {
  it('decodes the next image while the tower runs, holding at most one extra run, with the same rows', async () => {
    const descry = await Descry.load(emojiClip);
    const bytes = fixtureBytes.slice(0, 4);
    const { events, schedule } = recorder();
    const overlapped = await descry.embedImages(bytes, { imagesPerRun: 1, schedule });
    const together = await descry.embedImages(bytes, { imagesPerRun: 4 });
    for (const [i, value] of overlapped.data.entries()) expect(value).toBeCloseTo(together.data[i]!, 5);

    // Every decode after the first starts while a tower run is in flight.
    let inTower = 0;
    let decodedWaiting = 0;
    let overlaps = 0;
    for (const event of events) {
      if (event === 'decode start' && inTower > 0) overlaps += 1;
      if (event === 'decode end') decodedWaiting += 1;
      if (event === 'vision start') {
        decodedWaiting -= 1;
        inTower += 1;
      }
      if (event === 'vision end') inTower -= 1;
      expect(inTower).toBeLessThanOrEqual(1);
      // Pixels alive: the run in the tower plus at most one decoded run.
      expect(inTower + decodedWaiting).toBeLessThanOrEqual(2);
    }
    expect(overlaps).toBeGreaterThan(0);
    expect(events.filter((e) => e === 'vision start')).toHaveLength(4);
  });

  it('runs a single image as one decode then one tower run', async () => {
    const descry = await Descry.load(emojiClip);
    const { events, schedule } = recorder();
    await descry.embedImages([fixtureBytes[0]!], { schedule });
    expect(events).toEqual(['decode start', 'decode end', 'vision start', 'vision end']);
  });
});
