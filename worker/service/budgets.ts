/**
 * What a request costs, known before its work starts, and the budgets it must fit (issue 18).
 *
 * - Images: from their headers only (`Descry.probe`), the pixels each decodes to and the bytes its
 *   decoder will allocate (`decoderBytes`: a progressive JPEG keeps the coefficients of the whole
 *   image at full size whatever its DCT scale, so an 11584² progressive file that decodes to
 *   1448² pixels still costs over 400 MB). Per image, pixels bound the longest pause of the event
 *   loop and bytes the peak memory (one image is decoded at a time); per request, the sums bound
 *   how long the request takes.
 * - Text: the tokens the text tower would process for the prompts the request encodes (labels ×
 *   templates, descriptors, subclasses, texts), counting only prompts the model's cache does not
 *   hold. Two cheap lower bounds refuse an oversized request before its prompts are tokenized or
 *   even built: every prompt is at least 3 tokens (`promptCount` counts them without building a
 *   string), and a word is at least one token.
 *
 * Headers the probe cannot read are let through: the decoder then rejects them with a precise
 * image_* error. Over a budget is 422 with the limit named.
 */
import { type ClassifierSpec, ImageDecodeError, type ImageProbe, promptCount, promptsOf } from 'descry';
import { ProblemError } from '../http/problem.js';
import type { RequestImage } from '../http/request/images.js';
import type { ServiceLimits } from './config.js';

/** Reads an image's headers as the engine will decode it. */
export type ImageProber = (bytes: Uint8Array) => ImageProbe;

const MB = 2 ** 20;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

function probed(bytes: Uint8Array, probe: ImageProber): ImageProbe | undefined {
  try {
    return probe(bytes);
  } catch {
    return undefined;
  }
}

/** Refuse `images` over the configured pixel and decoder-memory budgets, from their headers. */
export function assertImageBudget(
  images: readonly RequestImage[],
  limits: Pick<
    ServiceLimits,
    'maxImagePixels' | 'maxRequestPixels' | 'maxImageDecodeBytes' | 'maxRequestDecodeBytes'
  >,
  probe: ImageProber,
): void {
  let pixels = 0;
  let bytes = 0;
  for (const image of images) {
    const size = probed(image.bytes, probe);
    if (!size) continue;
    const { width, height } = size.decoded;
    const count = width * height;
    if (count > limits.maxImagePixels) {
      const scaled = width === size.width ? '' : ` (${size.width}×${size.height} decoded at a reduced scale)`;
      throw new ImageDecodeError(
        'image_too_large',
        `${image.field}: ${width}×${height}${scaled} is ${count} pixels, more than the limit of ${limits.maxImagePixels}`,
        { details: { width, height, limit: limits.maxImagePixels } },
      );
    }
    if (size.decoderBytes > limits.maxImageDecodeBytes) {
      throw new ImageDecodeError(
        'image_too_large',
        `${image.field}: decoding this ${size.width}×${size.height} ${size.format} would allocate ${mb(size.decoderBytes)}, more than the limit of ${mb(limits.maxImageDecodeBytes)} (DESCRY_MAX_IMAGE_DECODE_BYTES)`,
        { details: { decoder_bytes: size.decoderBytes, limit: limits.maxImageDecodeBytes } },
      );
    }
    pixels += count;
    bytes += size.decoderBytes;
  }
  if (pixels > limits.maxRequestPixels) {
    throw new ImageDecodeError(
      'image_too_large',
      `the images of this request total ${pixels} pixels, more than the per-request limit of ${limits.maxRequestPixels}`,
      { details: { pixels, limit: limits.maxRequestPixels } },
    );
  }
  if (bytes > limits.maxRequestDecodeBytes) {
    throw new ImageDecodeError(
      'image_too_large',
      `decoding the images of this request would allocate ${mb(bytes)} in all, more than the per-request limit of ${mb(limits.maxRequestDecodeBytes)} (DESCRY_MAX_REQUEST_DECODE_BYTES)`,
      { details: { decoder_bytes: bytes, limit: limits.maxRequestDecodeBytes } },
    );
  }
}

/** At least how many tokens `text` is: a word (or punctuation run) is at least one, plus start and end. */
function tokensAtLeast(text: string): number {
  return (text.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu)?.length ?? 0) + 2;
}

function overTextBudget(tokens: number, limit: number, prompts: number): ProblemError {
  return new ProblemError(
    422,
    'text_too_large',
    `this request would encode ${prompts} prompts of ${tokens} tokens or more, more than the limit of ${limit} tokens (DESCRY_MAX_REQUEST_PROMPT_TOKENS); compile the labels once (PUT /v1/classifiers/{id}) and classify by id`,
    { extensions: { tokens, limit, prompts } },
  );
}

/** The text a request encodes: a label set to compile (labels, templates, descriptors, subclasses) and plain texts. */
export interface TextWork {
  spec?: ClassifierSpec | undefined;
  texts?: readonly string[] | undefined;
}

/**
 * Refuse text work over `limit` tokens. `exact` counts the tokens the text tower would process
 * (cached prompts cost nothing); it runs only when the lower bounds fit.
 */
export async function assertTextBudget(
  work: TextWork,
  limit: number,
  exact: (prompts: readonly string[]) => Promise<number>,
): Promise<void> {
  const texts = work.texts ?? [];
  const count = (work.spec ? promptCount(work.spec) : 0) + texts.length;
  if (count === 0) return;
  // Every prompt is at least 3 tokens (start, end, one word), and counting is cheap: a request far
  // over the limit is refused before its prompts exist. Building the 24,576 prompts of the
  // text-heavy case took 40 ms and counting their words 250 ms (bench/abuse.ts, text-heavy case).
  if (count * 3 > limit) throw overTextBudget(count * 3, limit, count);
  const prompts = work.spec ? [...promptsOf(work.spec), ...texts] : texts;
  // 77 is the longest context of the families Descry knows: no prompt costs more. The sum stops as
  // soon as it passes the limit.
  let lower = 0;
  for (const prompt of prompts) {
    lower += Math.min(77, tokensAtLeast(prompt));
    if (lower > limit) throw overTextBudget(lower, limit, prompts.length);
  }
  const tokens = await exact(prompts);
  if (tokens > limit) throw overTextBudget(tokens, limit, prompts.length);
}
