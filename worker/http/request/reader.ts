/**
 * The one request reader: a validated JSON or multipart body (the route's schemas, built from
 * ./fields.ts) becomes one typed {@link ImageRequest}: images as bytes with the field they came
 * in, the background parsed by the SDK's grammar, labels through the one list parser, and the
 * per-request counts checked against the configured limits. Every route that takes images or
 * labels reads its body here; what differs between routes is only which fields their schemas allow.
 */
import type { ClassificationMethod, DescriptorMap, ImageBackground } from 'descry';
import type { Context } from 'hono';
import type { ServiceLimits } from '../../service/config.js';
import { noteWorkload } from '../middleware/request-context.js';
import { overLimit, type TargetFields } from './fields.js';
import { bytesOfEncodedImage, bytesOfUpload, type RequestImage } from './images.js';
import { bodyEncoding } from './media-type.js';

/** An image request after reading, JSON and multipart alike. */
export interface ImageRequest {
  images: RequestImage[];
  texts: string[];
  labels?: string[];
  classifier?: string;
  method: ClassificationMethod;
  templates?: string[];
  descriptors?: DescriptorMap;
  subclasses?: Record<string, string[]>;
  topK?: number;
  maxSetSize?: number;
  background?: ImageBackground;
  /** The true label of each image, in order (calibration). */
  imageLabels?: string[];
}

/** What routes' validated bodies hold, in either encoding (fields a route does not take are absent). */
type ValidatedBody = TargetFields & {
  images?: string[];
  /** The field each of `images` came in, when a route names them otherwise (`input[3]`). */
  imageFields?: string[];
  image?: Blob | Blob[];
  texts?: string[];
  text?: string | string[];
  image_labels?: string[];
};

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Check a request's counts against the configured limits (images, labels, texts). */
export function assertRequestLimits(
  limits: ServiceLimits,
  counts: { images?: number; labels?: number | undefined; texts?: number },
): void {
  if ((counts.images ?? 0) > limits.maxImages) {
    throw overLimit('images', counts.images!, limits.maxImages, 'invalid_input');
  }
  if (counts.labels !== undefined && counts.labels > limits.maxLabels) {
    throw overLimit('labels', counts.labels, limits.maxLabels, 'labels_too_many');
  }
  if ((counts.texts ?? 0) > limits.maxTexts) {
    throw overLimit('texts', counts.texts!, limits.maxTexts, 'invalid_input');
  }
}

/**
 * The request's body as an {@link ImageRequest}. The route's validators (zod-openapi, with the
 * schemas of ./fields.ts) have already run; this maps either encoding to the one shape.
 */
export async function readImageRequest(c: Context, limits: ServiceLimits): Promise<ImageRequest> {
  const encoding = bodyEncoding(c);
  const body = (c.req.valid as (target: 'json' | 'form') => ValidatedBody)(encoding);
  const files = encoding === 'json' ? asList(body.images) : asList(body.image);
  const texts = encoding === 'json' ? asList(body.texts) : asList(body.text);
  noteWorkload(c, {
    images: files.length,
    texts: texts.length,
    ...(body.labels ? { labels: body.labels.length } : {}),
  });
  assertRequestLimits(limits, { images: files.length, labels: body.labels?.length, texts: texts.length });
  const images = await Promise.all(
    files.map(async (file, i) => {
      if (typeof file === 'string') {
        const field = body.imageFields?.[i] ?? `images[${i}]`;
        return { bytes: bytesOfEncodedImage(file, field), field };
      }
      const field = `image[${i}]`;
      return { bytes: await bytesOfUpload(file, field), field };
    }),
  );
  return {
    images,
    texts,
    method: body.method ?? 'zeroshot',
    ...(body.labels ? { labels: body.labels } : {}),
    ...(body.classifier ? { classifier: body.classifier } : {}),
    ...(body.templates ? { templates: body.templates } : {}),
    ...(body.descriptors ? { descriptors: body.descriptors } : {}),
    ...(body.subclasses ? { subclasses: body.subclasses } : {}),
    ...(body.top_k ? { topK: body.top_k } : {}),
    ...(body.max_set_size ? { maxSetSize: body.max_set_size } : {}),
    ...(body.background !== undefined ? { background: body.background } : {}),
    ...(body.image_labels ? { imageLabels: body.image_labels } : {}),
  };
}
