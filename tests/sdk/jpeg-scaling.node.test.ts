/**
 * Descry decodes large JPEGs at a reduced DCT scale by default (at least twice the model's input),
 * and at full size with `jpegDctScaling: false`: nearly the same embedding, not the same tensor.
 */
import { readFileSync } from 'node:fs';
import { Descry } from 'descry';
import embeddedModel from 'descry/models/emoji-clip';
import { describe, expect, it } from 'vitest';

const photo = readFileSync(new URL('../fixtures/preprocess/big_420_1001x750.jpg', import.meta.url));

describe('jpegDctScaling', () => {
  it('embeds a large JPEG decoded reduced nearly as the full decode', async () => {
    const reduced = await (await Descry.load(embeddedModel)).embedImages([photo]);
    const exact = await (await Descry.load(embeddedModel, { jpegDctScaling: false })).embedImages([photo]);
    expect(Array.from(reduced.data)).not.toEqual(Array.from(exact.data));
    const cosine = reduced.data.reduce((sum, v, i) => sum + v * exact.data[i]!, 0);
    console.info(`big_420_1001x750.jpg reduced vs full decode: cosine ${cosine.toFixed(6)}`);
    // tests/image/reference.test.ts holds the same bound against onnxruntime on Pillow's tensors.
    expect(cosine).toBeGreaterThanOrEqual(0.998);
  });
});
