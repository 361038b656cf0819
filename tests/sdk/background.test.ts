/**
 * The `background` option end to end on the embedded model (Node and workerd): a cut-out emoji,
 * transparent where the original was white, gets exactly the original's embedding when flattened
 * onto white (the default), and another one when its alpha is dropped.
 */

import { Descry, type ImageBackground, InvalidInputError, type RgbaImage } from 'descry';
import embeddedModel from 'descry/models/emoji-clip';
import { decode, encode } from 'fast-png';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { expectDescryError } from '../image/expect-error.js';

const fixtures = inject('emojiFixtures');
const decodeBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** The fixture (a transparent PNG) flattened onto white by hand: an opaque original, as an emoji on a page. */
function opaqueOnWhite(png: Uint8Array): RgbaImage {
  const { width, height, data, channels } = decode(png);
  const out = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const alpha = channels === 4 ? Number(data[p * channels + 3]) / 255 : 1;
    for (let c = 0; c < 3; c++)
      out[p * 4 + c] = Math.round(Number(data[p * channels + c]) * alpha + 255 * (1 - alpha));
    out[p * 4 + 3] = 255;
  }
  return { width, height, data: out };
}

/** Pure white becomes fully transparent black, as a cut-out stores it. */
function cutOut(image: RgbaImage): { rgba: RgbaImage; png: Uint8Array; cleared: number } {
  const data = Uint8Array.from(image.data);
  let cleared = 0;
  for (let p = 0; p < data.length; p += 4) {
    if (data[p] === 255 && data[p + 1] === 255 && data[p + 2] === 255) {
      data.fill(0, p, p + 4);
      cleared++;
    }
  }
  const rgba = { width: image.width, height: image.height, data };
  return { rgba, png: encode({ ...rgba, channels: 4 }), cleared };
}

const original = opaqueOnWhite(decodeBase64(fixtures.images[0]!.base64));
const transparent = cutOut(original);
let descry: Descry;
let dropping: Descry;
beforeAll(async () => {
  descry = await Descry.load(embeddedModel);
  dropping = await Descry.load(embeddedModel, { background: 'drop' });
});

describe('background', () => {
  it('the cut-out really is transparent where the original was white', () => {
    expect(transparent.cleared).toBeGreaterThan(original.width * original.height * 0.1);
  });

  it('flattens onto white by default: the cut-out embeds exactly as the original', async () => {
    const embedded = await descry.embedImages([original, transparent.rgba, transparent.png]);
    const dim = embedded.cols;
    const row = (i: number) => Array.from(embedded.data.subarray(i * dim, (i + 1) * dim));
    expect(row(1)).toEqual(row(0));
    expect(row(2)).toEqual(row(0));
  });

  it("'drop' sees the stored black instead, per call or as the instance default", async () => {
    const [white] = (await descry.embedImages([original])).data.subarray(0, 4);
    const perCall = await descry.embedImages([transparent.png], { background: 'drop' });
    const byDefault = await dropping.embedImages([transparent.png]);
    expect(Array.from(perCall.data)).toEqual(Array.from(byDefault.data));
    expect(perCall.data[0]).not.toBe(white);
    // And a per-call colour overrides the instance default.
    const back = await dropping.embedImages([transparent.png], { background: [255, 255, 255] });
    expect(Array.from(back.data)).toEqual(Array.from((await descry.embedImages([original])).data));
  });

  it('classify takes the option per call and changes the scores', async () => {
    const labels = fixtures.labels;
    const [white] = await descry.classify(transparent.png, labels);
    const [viaHex] = await descry.classify(transparent.png, labels, { background: '#fff' });
    const [drop] = await descry.classify(transparent.png, labels, { background: 'drop' });
    expect(viaHex!.predictions).toEqual(white!.predictions);
    expect(drop!.predictions.map((p) => p.score)).not.toEqual(white!.predictions.map((p) => p.score));
  });

  it('refuses a bad background at load, in classify and in embedImages with invalid_input', async () => {
    const bad = 'transparent' as unknown as ImageBackground;
    await expectDescryError(
      () => Descry.load(embeddedModel, { background: bad }),
      InvalidInputError,
      'invalid_input',
    );
    await expectDescryError(
      () => descry.classify(transparent.png, fixtures.labels, { background: '#12345' }),
      InvalidInputError,
      'invalid_input',
    );
    await expectDescryError(
      () => descry.embedImages([transparent.png], { background: [0, 0, 300] }),
      InvalidInputError,
      'invalid_input',
    );
  });
});
