/**
 * What a model sees under transparent pixels: the colour an image with alpha is flattened onto, or
 * nothing ('drop': the stored colour, as CLIPImageProcessor's `convert('RGB')` and transformers.js
 * do).
 *
 * Flattening uses Pillow's `Image.alpha_composite(Image.new('RGBA', size, colour), image)` and
 * then `convert('RGB')`, which is what newer Hugging Face processors do in `convert_to_rgb`
 * (Idefics2, Mllama): the same 8-bit integer arithmetic (AlphaComposite.c, 7 extra bits, rounded
 * divisions by 255), so a flattened image is Pillow's to the bit and tests compare it with Pillow.
 * Onto an opaque colour that arithmetic equals round((fg * a + bg * (255 - a)) / 255) for every
 * input (there are no ties: 255 is odd); compositing in float, in linear light or with
 * premultiplied truncation would not, and CLIP-style models were trained on Pillow's 8-bit output.
 */
import { InvalidInputError } from '../errors.js';

/**
 * What transparent pixels become before the model sees an image.
 *
 * - `'white'` (the default), `'black'`, a hex colour (`'#rgb'` or `'#rrggbb'`) or an
 *   `[r, g, b]` triple of integers 0..255: the image is composited onto that colour, as Pillow's
 *   `Image.alpha_composite` does. Alpha channels, palette transparency (tRNS) and greyscale with
 *   alpha all count.
 * - `'drop'`: alpha is ignored and transparent pixels keep whatever colour the file stores
 *   (often black). This is what transformers.js and transformers' CLIPImageProcessor
 *   (`convert('RGB')`) do; use it for exact parity with them.
 *
 * Models trained on opaque images answer best with the background they were trained on, which for
 * most (emoji, icons, product shots) is white.
 */
export type ImageBackground = 'drop' | 'white' | 'black' | `#${string}` | readonly [number, number, number];

/** The background used when none is given. */
export const DEFAULT_BACKGROUND: ImageBackground = 'white';

/** A validated background: 'drop', or the RGB colour to composite onto. */
export type Backdrop = 'drop' | readonly [number, number, number];

const NAMED: Record<string, Backdrop> = {
  drop: 'drop',
  white: [255, 255, 255],
  black: [0, 0, 0],
};

function invalid(value: unknown): InvalidInputError {
  const shown = typeof value === 'string' ? value.slice(0, 32) : Array.isArray(value) ? value : typeof value;
  return new InvalidInputError(
    'invalid_input',
    "background must be 'drop', 'white', 'black', a hex colour ('#rgb' or '#rrggbb') or [r, g, b] with integers 0..255.",
    { details: { background: shown } },
  );
}

function fromHex(hex: string): Backdrop | undefined {
  if (/^#[0-9a-f]{3}$/i.test(hex)) {
    return [1, 2, 3].map((i) => Number.parseInt(hex.charAt(i), 16) * 17) as [number, number, number];
  }
  if (/^#[0-9a-f]{6}$/i.test(hex)) {
    return [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
  }
  return undefined;
}

/**
 * Validates a background option; `undefined` gives `fallback` (itself validated).
 *
 * @throws InvalidInputError 'invalid_input' for anything that is not an {@link ImageBackground}.
 */
export function resolveBackground(value: unknown, fallback: ImageBackground = DEFAULT_BACKGROUND): Backdrop {
  if (value === undefined) return resolveBackground(fallback);
  if (typeof value === 'string') {
    const backdrop = Object.hasOwn(NAMED, value) ? NAMED[value] : fromHex(value);
    if (backdrop === undefined) throw invalid(value);
    return backdrop;
  }
  if (
    Array.isArray(value) &&
    value.length === 3 &&
    value.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255)
  ) {
    return [value[0], value[1], value[2]] as const;
  }
  throw invalid(value);
}

/**
 * One channel of Pillow's alpha_composite of a pixel with `alpha` over an opaque background:
 * coef1 = a * 128 and coef2 = (255 - a) * 128 there, so this is SHIFTFORDIV255 of the rounded sum.
 */
export function compositeChannel(value: number, alpha: number, background: number): number {
  if (alpha === 0) return background;
  const t = (value * alpha + background * (255 - alpha)) * 128 + 0x4000;
  return (((t >>> 8) + t) >>> 8) >>> 7;
}
