/**
 * The fields image requests carry, defined once: each field's JSON schema, its multipart (or query)
 * form, and the one parser that turns a form's strings into the JSON value. Routes build their body
 * schemas from here (which are also the OpenAPI components clients see), so a field means the same
 * thing on every route, in JSON and in multipart, and in a job request.
 *
 * - Lists (labels, templates): repeated form values, one JSON array, or (labels only) one
 *   comma-separated string. {@link formList} is the only list parser.
 * - `background`: the SDK's own grammar ('white', 'black', 'drop', '#rgb', '#rrggbb', or an
 *   `[r, g, b]` array; in a form or query, the array as JSON text), checked by the SDK's own
 *   `resolveBackground`, so the service accepts exactly what `Descry` does.
 * - `method`: the SDK's method table.
 * - `subclasses`: labels → subclasses (method 'subclasses'), JSON in a form; bounded in total by
 *   {@link MAX_SUBCLASSES}, since each subclass costs a text-encoder pass per template.
 * - `max_set_size`: abstain when a conformal set holds more labels (calibrated classifiers).
 */
import { z } from '@hono/zod-openapi';
import { type ImageBackground, InvalidInputError, METHOD_NAMES, METHODS, resolveBackground } from 'descry';

/** A lone UTF-16 surrogate: with the `u` flag, paired surrogates match as one code point and are not. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const WELL_FORMED = 'must be well-formed Unicode (no lone surrogates)';

/**
 * Text that reaches the model or a store. A lone surrogate cannot be encoded as UTF-8 (stored
 * classifiers, multipart and the tokenizer would all turn it into U+FFFD), so it is refused with
 * 422 rather than silently altered.
 */
export function wellFormedText(min: number, max: number) {
  return z
    .string()
    .min(min)
    .max(max)
    .refine((text) => !LONE_SURROGATE.test(text), WELL_FORMED);
}

/** {@link wellFormedText}, trimmed first: labels and descriptors. */
function trimmedText(max: number) {
  return z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((text) => !LONE_SURROGATE.test(text), WELL_FORMED);
}

export const LabelSchema = trimmedText(200);
export const LabelsSchema = z
  .array(LabelSchema)
  .min(1)
  .openapi({ example: ['cat', 'dog', 'pizza'] });
export const TemplateSchema = wellFormedText(1, 300)
  .refine((t) => t.includes('{}'), 'a template must contain {} where the label goes')
  .openapi({ example: 'an emoji of {}.' });
export const TemplatesSchema = z.array(TemplateSchema).min(1).max(32);
export const DescriptorsSchema = z
  .record(LabelSchema, z.array(trimmedText(300)).min(1).max(64))
  .openapi({ example: { cat: ['whiskers', 'pointed ears'] } });
export const TextSchema = wellFormedText(1, 2000);

/**
 * Subclasses one request or classifier may carry, over all labels: each is encoded once per
 * template at compile time. The embedded model's 1,906 emoji as subclasses of their 9 groups fit.
 */
export const MAX_SUBCLASSES = 4096;

export const SubclassesSchema = z
  .record(LabelSchema, z.array(trimmedText(200)).min(1).max(MAX_SUBCLASSES))
  .refine(
    (map) => Object.values(map).reduce((n, list) => n + list.length, 0) <= MAX_SUBCLASSES,
    `at most ${MAX_SUBCLASSES} subclasses in all`,
  )
  .openapi({
    description:
      "Subclasses per label for method 'subclasses' (CHiLS): each subclass under one label only; labels left out are scored by their own prompts",
    example: { fruit: ['pineapple', 'cherries'], bird: ['eagle', 'penguin'] },
  });

export const MaxSetSizeSchema = z.number().int().min(1).max(1000).openapi({
  description:
    'With a calibrated classifier: abstain (set.abstain, reason too_large) when an image’s conformal set holds more labels than this. Refused (422) when no set can be built: no calibration, or one fitted for another method',
});

export const ClassifierIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'ids are 1-64 letters, digits, _ . -, starting alphanumeric')
  .openapi({ param: { name: 'id', in: 'path' }, example: 'emoji-animals' });

export const MethodSchema = z.enum(METHOD_NAMES).openapi({
  description: `Classification method: ${METHOD_NAMES.map((name) => `\`${name}\`: ${METHODS[name].summary}`).join('; ')}`,
  example: 'zeroshot',
});

export const TopKSchema = z.number().int().min(1).max(1000);

/** Base64 or a base64 data URL. */
export const EncodedImageSchema = z.string().min(1).openapi({
  description: 'Base64 image bytes or a base64 data: URL',
  example: 'data:image/png;base64,iVBORw0…',
});

/** An uploaded file part, documented as binary. */
export const UploadSchema = z
  .custom<File>((value) => typeof value === 'object' && value !== null && 'arrayBuffer' in value, {
    message: 'expected a file upload',
  })
  .openapi({ type: 'string', format: 'binary' });

const BACKGROUND_DOC =
  "What transparent pixels become: 'white' (the default), 'black', '#rgb', '#rrggbb' or [r, g, b] composite the image onto that colour; 'drop' ignores alpha (what transformers.js and CLIPImageProcessor do)";

/** The SDK's background from its wire form, or a zod issue with the SDK's own message. */
function toBackground(value: unknown, ctx: z.RefinementCtx): ImageBackground {
  try {
    resolveBackground(value as ImageBackground);
    return value as ImageBackground;
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : 'invalid background' });
    return z.NEVER;
  }
}

const rgb = z.tuple([z.number().int(), z.number().int(), z.number().int()]);

/** `background` in a JSON body. */
export const BackgroundSchema = z
  .union([z.string(), rgb])
  .transform(toBackground)
  .openapi({ description: BACKGROUND_DOC, example: 'white' });

/** `background` in a form or a query: a string, the `[r, g, b]` form as JSON text. */
export const FormBackgroundSchema = z
  .string()
  .transform((value, ctx) => toBackground(value.trim().startsWith('[') ? jsonOr(value, value) : value, ctx))
  .openapi({ description: BACKGROUND_DOC, example: 'white' });

/** `JSON.parse(text)`, or `fallback` when it is not JSON. */
function jsonOr(text: string, fallback: unknown): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}

/**
 * A list from a form or a query: repeated values as they are; one value that is a JSON array
 * parsed; otherwise, with `commas`, split on commas (labels), else the one value (templates).
 */
export function formList(value: string | string[], options: { commas: boolean }): unknown {
  if (Array.isArray(value)) return value;
  const trimmed = value.trim();
  if (trimmed.startsWith('[')) return jsonOr(trimmed, trimmed);
  return options.commas
    ? trimmed
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    : [value];
}

const formStrings = z.union([z.string(), z.array(z.string())]);

/** A form or query list field, parsed by {@link formList} and checked by `schema`. */
export function formListOf<T extends z.ZodType>(
  schema: T,
  options: { commas: boolean; description: string },
) {
  return formStrings
    .transform((value) => formList(value, options))
    .pipe(schema)
    .openapi({ description: options.description });
}

/** A form field holding JSON (`descriptors`), checked by `schema`. */
function formJsonOf<T extends z.ZodType>(schema: T, description: string) {
  return z
    .string()
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema)
    .openapi({ description });
}

/** A form field holding a whole number. */
function formIntegerOf(schema: z.ZodNumber) {
  return z
    .string()
    .transform((value) => (value.trim() === '' ? undefined : Number(value)))
    .pipe(schema.optional());
}

/** The fields that say what to classify against and how, in JSON. */
export const targetFields = {
  labels: LabelsSchema.optional(),
  classifier: ClassifierIdSchema.optional().openapi({
    description: 'Id of a stored classifier (instead of labels)',
  }),
  method: MethodSchema.optional(),
  templates: TemplatesSchema.optional(),
  descriptors: DescriptorsSchema.optional(),
  subclasses: SubclassesSchema.optional(),
  top_k: TopKSchema.optional(),
  max_set_size: MaxSetSizeSchema.optional(),
  background: BackgroundSchema.optional(),
};

/** The same fields in a multipart form. */
export const formTargetFields = {
  labels: formListOf(LabelsSchema, {
    commas: true,
    description: 'Comma-separated, repeated, or a JSON array',
  }).optional(),
  classifier: ClassifierIdSchema.optional(),
  method: MethodSchema.optional(),
  templates: formListOf(TemplatesSchema, {
    commas: false,
    description: 'Repeated or a JSON array',
  }).optional(),
  descriptors: formJsonOf(DescriptorsSchema, 'JSON object: label → descriptors').optional(),
  subclasses: formJsonOf(SubclassesSchema, 'JSON object: label → subclasses').optional(),
  top_k: formIntegerOf(TopKSchema).optional(),
  max_set_size: formIntegerOf(MaxSetSizeSchema).optional(),
  background: FormBackgroundSchema.optional(),
};

/** The target fields as a route has them after validation (JSON or form alike). */
export type TargetFields = {
  labels?: string[] | undefined;
  classifier?: string | undefined;
  method?: z.infer<typeof MethodSchema> | undefined;
  templates?: string[] | undefined;
  descriptors?: Record<string, string[]> | undefined;
  subclasses?: Record<string, string[]> | undefined;
  top_k?: number | undefined;
  max_set_size?: number | undefined;
  background?: ImageBackground | undefined;
};

/** Refinement of a classification target: labels or a stored classifier, with their options. */
export function exactlyOneTarget(value: TargetFields, ctx: z.RefinementCtx): void {
  if ((value.labels === undefined) === (value.classifier === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['labels'], message: 'give either labels or classifier, not both' });
  }
  onlyLabelKeys(value, ctx);
  if (
    value.classifier !== undefined &&
    (value.templates !== undefined || value.descriptors !== undefined || value.subclasses !== undefined)
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['templates'],
      message:
        'templates, descriptors and subclasses are fixed when a classifier is compiled; give them with labels',
    });
  }
}

/**
 * Refinement: descriptors and subclasses only of the labels given (those of labels not asked
 * about would be encoded for nothing).
 */
export function onlyLabelKeys(
  value: { labels?: string[] | undefined; descriptors?: object | undefined; subclasses?: object | undefined },
  ctx: z.RefinementCtx,
): void {
  for (const field of ['descriptors', 'subclasses'] as const) {
    for (const label of Object.keys(value[field] ?? {})) {
      if (value.labels && !value.labels.includes(label)) {
        ctx.addIssue({ code: 'custom', path: [field, label], message: 'not one of the labels' });
      }
    }
  }
}

/** The images of a JSON body, and of a form (`image`, repeated). */
export const jsonImages = z.array(EncodedImageSchema).min(1);
export const formImages = z
  .union([UploadSchema, z.array(UploadSchema)])
  .openapi({ description: 'One or more image files' });

/** A typed error for a count over its limit. */
export function overLimit(
  what: string,
  count: number,
  limit: number,
  code: 'invalid_input' | 'labels_too_many',
) {
  return new InvalidInputError(code, `${count} ${what} in one request; the limit is ${limit}`, {
    details: { limit },
  });
}

/**
 * The fields of OpenAI's embeddings request (`POST /v1/embeddings` with `model` and `input`), with
 * the two conventions image-capable OpenAI-compatible servers use for images: Infinity's
 * `modality: 'image'` (every string of `input` is an image) and Jina's `{ image }` items (mixed
 * with `{ text }` items and plain strings). Images are base64 or base64 `data:` URLs, as
 * everywhere else in the service: `http(s)` URLs are refused rather than fetched, because a
 * service that fetches caller-given URLs can be made to reach hosts only it can reach (SSRF).
 */
export const EmbeddingTextItemSchema = z
  .object({ text: z.string() })
  .openapi('EmbeddingTextItem', { description: 'A text (Jina’s item form)' });
export const EmbeddingImageItemSchema = z.object({ image: z.string() }).openapi('EmbeddingImageItem', {
  description: 'An image as base64 or a base64 data: URL (Jina’s item form); URLs are not fetched',
});
const EmbeddingInputItemSchema = z.union([
  z.string(),
  EmbeddingTextItemSchema,
  EmbeddingImageItemSchema,
  // OpenAI also takes token ids; they are refused with a clear message (see openAiInputItems).
  z.number(),
  z.array(z.number()),
]);
export const EmbeddingInputSchema = z.union([z.string(), z.array(EmbeddingInputItemSchema).min(1)]).openapi({
  description:
    'A string or a list: strings (texts, or images with `modality: "image"`), `{ text }` and `{ image }` items. Images are base64 or base64 data: URLs.',
  example: ['a photo of a cat', { image: 'data:image/png;base64,iVBORw0…' }],
});
export const EncodingFormatSchema = z.enum(['float', 'base64']).openapi({
  description: '`float` (the default): arrays of numbers; `base64`: the little-endian float32 bytes',
});
export const DimensionsSchema = z.number().int().min(1).openapi({
  description:
    "Must be the model's own dimension: CLIP embeddings are not trained to be truncated (no Matryoshka loss)",
});
export const ModalitySchema = z.enum(['text', 'image']).openapi({
  description: 'What the strings of `input` are (Infinity’s convention); default `text`',
});

/** One item of an OpenAI-shaped `input`, sorted into the lists the request reader takes. */
export interface OpenAiInputItems {
  /** Base64 images, and the field each came in (`input[3]`) for error messages. */
  images: string[];
  imageFields: string[];
  texts: string[];
  /** Where each input item went: `images[at]` or `texts[at]`, in input order. */
  order: Array<{ kind: 'image' | 'text'; at: number }>;
}

const URL_IMAGE = /^\s*https?:\/\//i;
const DATA_IMAGE = /^\s*data:image\//i;

/**
 * Sort an OpenAI `input` into texts and images, reporting each bad item as a zod issue at its
 * path: an image URL (not fetched), an image where text is expected (a `data:image/…` string
 * without `modality: 'image'`), token ids, or text that {@link TextSchema} refuses.
 */
export function openAiInputItems(
  input: z.infer<typeof EmbeddingInputSchema>,
  modality: 'text' | 'image' | undefined,
  ctx: z.RefinementCtx,
): OpenAiInputItems {
  const items = typeof input === 'string' ? [input] : input;
  const sorted: OpenAiInputItems = { images: [], imageFields: [], texts: [], order: [] };
  const image = (value: string, i: number) => {
    if (URL_IMAGE.test(value)) {
      ctx.addIssue({
        code: 'custom',
        path: ['input', i],
        message: 'image URLs are not fetched by this service: send the image as base64 or a data: URL',
      });
      return;
    }
    if (value.trim().length === 0) {
      ctx.addIssue({ code: 'custom', path: ['input', i], message: 'the image is empty' });
      return;
    }
    sorted.order.push({ kind: 'image', at: sorted.images.length });
    sorted.images.push(value);
    sorted.imageFields.push(`input[${i}]`);
  };
  const text = (value: string, i: number) => {
    if (DATA_IMAGE.test(value)) {
      ctx.addIssue({
        code: 'custom',
        path: ['input', i],
        message:
          'this is an image (a data: URL) where text is expected: send modality "image" or { "image": … }',
      });
      return;
    }
    const checked = TextSchema.safeParse(value);
    if (!checked.success) {
      for (const issue of checked.error.issues) {
        ctx.addIssue({ code: 'custom', path: ['input', i], message: issue.message });
      }
      return;
    }
    sorted.order.push({ kind: 'text', at: sorted.texts.length });
    sorted.texts.push(value);
  };
  items.forEach((item, i) => {
    if (typeof item === 'string') (modality === 'image' ? image : text)(item, i);
    else if (typeof item === 'number' || Array.isArray(item)) {
      ctx.addIssue({
        code: 'custom',
        path: ['input', i],
        message: 'token ids are not supported: send the text itself',
      });
    } else if ('image' in item) image(item.image, i);
    else text(item.text, i);
  });
  return sorted;
}
