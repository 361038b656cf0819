/** probeImage on every fixture image: the size decoding gives, and alpha whenever a pixel is transparent. */
// Node's entry point installs what decoding takes from Node (the decoders' .wasm, native zlib).
import 'descry';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../sdk/image/decode.js';
import { probeImage } from '../../sdk/image/probe.js';

const dir = new URL('../fixtures/preprocess/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as {
  images: { file: string; width: number; height: number }[];
};

describe('probeImage agrees with decoding', () => {
  for (const { file, width, height } of manifest.images) {
    it(file, async () => {
      const bytes = readFileSync(new URL(file, dir));
      const probe = probeImage(bytes);
      expect([probe.width, probe.height]).toEqual([width, height]);
      const decoded = await decodeImage(bytes);
      const transparent = decoded.data.some((value, i) => i % 4 === 3 && value < 255);
      if (transparent) expect(probe.hasAlpha).toBe(true);
      if (probe.format === 'jpeg') expect(probe.hasAlpha).toBe(false);
    });
  }
});
