/**
 * probeImage's `decoderBytes` bounds what decoding really allocates: each large image of
 * tests/fixtures/probe (models/fixtures/make_probe_fixtures.py) is decoded in a fresh Node process
 * (./support/measure-decode.ts), which reports how much the decode added to its peak resident
 * memory. The estimate must be at least that, and not wildly more (at most twice, plus 4 MB), so
 * that admission control neither lets a costly image through nor refuses a cheap one.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { probeImage } from '../../sdk/image/probe.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = new URL('../fixtures/probe/', import.meta.url);

interface Measure {
  decoded: [number, number];
  expected: [number, number];
  estimate: number;
  measured: number;
}

async function measure(file: string, minSide?: number): Promise<Measure> {
  const path = file.startsWith('/') ? file : fileURLToPath(new URL(file, dir));
  const args = ['--expose-gc', '--import', 'tsx', 'tests/image/support/measure-decode.ts', path];
  if (minSide !== undefined) args.push(String(minSide));
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: root, maxBuffer: 2 ** 20 });
  return JSON.parse(stdout) as Measure;
}

const MB = 2 ** 20;

describe('probeImage decoderBytes bounds the real allocation of each decoder', () => {
  const cases: [string, number | undefined][] = [
    ['progressive_420_4000x3000.jpg', undefined],
    ['progressive_420_4000x3000.jpg', 448],
    ['baseline_420_4000x3000.jpg', undefined],
    ['baseline_420_4000x3000.jpg', 448],
    ['baseline_444_3000x2000.jpg', undefined],
    ['cmyk_1600x1200.jpg', undefined],
    ['rgb_2000x1500.png', undefined],
    ['lossy_2000x1500.webp', undefined],
    ['lossless_rgba_1500x1000.webp', undefined],
  ];
  for (const [file, minSide] of cases) {
    it(`${file}${minSide === undefined ? '' : ` with minSize ${minSide}`}`, async () => {
      const result = await measure(file, minSide);
      console.log(
        `${file} ${minSide ?? 'full'}: estimate ${(result.estimate / MB).toFixed(1)} MB, measured ${(result.measured / MB).toFixed(1)} MB`,
      );
      expect(result.decoded).toEqual(result.expected);
      // Large enough that the decoder's buffers, not noise, are what is measured.
      expect(result.measured).toBeGreaterThan(2 * MB);
      expect(result.estimate).toBeGreaterThanOrEqual(result.measured);
      expect(result.estimate).toBeLessThanOrEqual(2 * result.measured + 4 * MB);
    });
  }

  it('a JPEG on which libjpeg warns (TurboJPEG gives up, MozJPEG decodes it again)', async () => {
    // Two stray bytes before the start-of-scan marker: libjpeg skips them with a warning.
    const jpeg = readFileSync(new URL('baseline_444_3000x2000.jpg', dir));
    const sos = jpeg.findIndex((byte, i) => byte === 0xff && jpeg[i + 1] === 0xda);
    const scratch = mkdtempSync(join(tmpdir(), 'descry-probe-'));
    try {
      const file = join(scratch, 'stray.jpg');
      writeFileSync(
        file,
        Buffer.concat([jpeg.subarray(0, sos), Buffer.from([0x12, 0x34]), jpeg.subarray(sos)]),
      );
      const result = await measure(file);
      console.log(
        `stray bytes: estimate ${(result.estimate / MB).toFixed(1)} MB, measured ${(result.measured / MB).toFixed(1)} MB`,
      );
      expect(result.decoded).toEqual([3000, 2000]);
      expect(result.estimate).toBeGreaterThanOrEqual(result.measured);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('counts a progressive JPEG decoded at 1/4 far above its decoded pixels', () => {
    const bytes = new Uint8Array(readFileSync(new URL('progressive_420_4000x3000.jpg', dir)));
    const probe = probeImage(bytes, { minSize: { width: 448, height: 448 } });
    expect(probe.decoded).toEqual({ width: 1000, height: 750 });
    // The coefficients of 4000x3000 at 4:2:0: 1.5 samples a pixel, 2 bytes each.
    expect(probe.decoderBytes).toBeGreaterThan(4000 * 3000 * 1.5 * 2);
    const baseline = probeImage(new Uint8Array(readFileSync(new URL('baseline_420_4000x3000.jpg', dir))), {
      minSize: { width: 448, height: 448 },
    });
    expect(baseline.decoderBytes).toBeLessThan(probe.decoderBytes / 3);
  });
});
