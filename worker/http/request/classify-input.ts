/**
 * The fields of a classification request, from JSON or multipart, normalised to one shape and
 * checked against the configured limits.
 */
import { z } from '@hono/zod-openapi';
import type { ClassificationMethod, DescriptorMap, ImageBackground } from 'descry';
import { InvalidInputError } from 'descry';
import type { ServiceLimits } from '../../service/config.js';
import {
  BackgroundSchema,
  backgroundOption,
  ClassifierIdSchema,
  DescriptorsSchema,
  EncodedImageSchema,
  LabelSchema,
  MethodSchema,
  TemplateSchema,
  UploadSchema,
} from '../schemas.js';
import { validationProblem } from '../validation-problem.js';
import { bytesOfEncodedImage, bytesOfUpload, type RequestImage } from './images.js';

/** The fields that say what to classify against and how (JSON bodies of /v1/classify and /v1/jobs). */
export const targetFields = {
  labels: z
    .array(LabelSchema)
    .min(1)
    .optional()
    .openapi({ example: ['cat', 'dog', 'pizza'] }),
  classifier: ClassifierIdSchema.optional().openapi({
    description: 'Id of a stored classifier (instead of labels)',
  }),
  method: MethodSchema.optional(),
  templates: z.array(TemplateSchema).min(1).max(32).optional(),
  descriptors: DescriptorsSchema.optional(),
  top_k: z.number().int().min(1).max(1000).optional(),
  background: BackgroundSchema.optional(),
};

type Fields = z.infer<z.ZodObject<typeof targetFields>>;

/** Refinement of a classification target: labels or a stored classifier, with their options. */
export function exactlyOneTarget(value: Fields, ctx: z.RefinementCtx): void {
  if ((value.labels === undefined) === (value.classifier === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['labels'], message: 'give either labels or classifier, not both' });
  }
  for (const label of Object.keys(value.descriptors ?? {})) {
    // Descriptors of labels not asked about would be encoded for nothing.
    if (value.labels && !value.labels.includes(label)) {
      ctx.addIssue({ code: 'custom', path: ['descriptors', label], message: 'not one of the labels' });
    }
  }
  if (value.classifier !== undefined && (value.templates !== undefined || value.descriptors !== undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['templates'],
      message: 'templates and descriptors are fixed when a classifier is compiled; give them with labels',
    });
  }
}

const FieldsSchema = z.object(targetFields).superRefine(exactlyOneTarget);

/** JSON body of POST /v1/classify. */
export const ClassifyJsonSchema = z
  .object({ images: z.array(EncodedImageSchema).min(1), ...targetFields })
  .superRefine(exactlyOneTarget)
  .openapi('ClassifyRequest');

const formList = z.union([z.string(), z.array(z.string())]);

/** Multipart body of POST /v1/classify: fields are strings, lists may repeat or be JSON arrays. */
export const ClassifyFormSchema = z
  .object({
    image: z.union([UploadSchema, z.array(UploadSchema)]).openapi({ description: 'One or more image files' }),
    labels: formList
      .optional()
      .openapi({ description: 'Comma-separated, repeated, or a JSON array', example: 'cat,dog,pizza' }),
    classifier: z.string().optional(),
    method: z
      .string()
      .optional()
      .openapi({ enum: ['zeroshot', 'descriptions', 'fudd', 'tfup'] }),
    templates: formList.optional().openapi({ description: 'Repeated or a JSON array' }),
    descriptors: z.string().optional().openapi({ description: 'JSON object: label → descriptors' }),
    top_k: z.string().optional(),
    background: BackgroundSchema.optional(),
  })
  .openapi('ClassifyForm');

/** A classification request after parsing. */
export interface ClassifyCommand {
  images: RequestImage[];
  labels?: string[];
  classifier?: string;
  method: ClassificationMethod;
  templates?: string[];
  descriptors?: DescriptorMap;
  topK?: number;
  background?: ImageBackground;
}

function jsonOr<T>(text: string, fallback: () => T): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return trimmed;
    }
  }
  return fallback();
}

/** Labels from a multipart field: repeated values, one JSON array, or one comma-separated list. */
export function formLabels(value: string | string[] | undefined): unknown {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value;
  return jsonOr(value, () => value.split(',').map((label) => label.trim()));
}

function formTemplates(value: string | string[] | undefined): unknown {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value;
  return jsonOr(value, () => [value]);
}

function formNumber(value: string | undefined): unknown {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : value;
}

function parseFields(candidate: Record<string, unknown>): Fields {
  const parsed = FieldsSchema.safeParse(candidate);
  if (!parsed.success) throw validationProblem(parsed.error);
  return parsed.data;
}

/** Enforce the per-request limits shared by every route that takes images and labels. */
export function assertRequestLimits(
  limits: ServiceLimits,
  counts: { images: number; labels?: number | undefined },
): void {
  if (counts.images > limits.maxImages) {
    throw new InvalidInputError(
      'invalid_input',
      `${counts.images} images in one request; the limit is ${limits.maxImages}`,
      { details: { limit: limits.maxImages } },
    );
  }
  if (counts.labels !== undefined && counts.labels > limits.maxLabels) {
    throw new InvalidInputError(
      'labels_too_many',
      `${counts.labels} labels; the limit is ${limits.maxLabels}`,
      {
        details: { limit: limits.maxLabels },
      },
    );
  }
}

function command(fieldsValue: Fields, images: RequestImage[]): ClassifyCommand {
  const background = backgroundOption(fieldsValue.background);
  return {
    images,
    method: fieldsValue.method ?? 'zeroshot',
    ...(fieldsValue.labels ? { labels: fieldsValue.labels } : {}),
    ...(fieldsValue.classifier ? { classifier: fieldsValue.classifier } : {}),
    ...(fieldsValue.templates ? { templates: fieldsValue.templates } : {}),
    ...(fieldsValue.descriptors ? { descriptors: fieldsValue.descriptors } : {}),
    ...(fieldsValue.top_k ? { topK: fieldsValue.top_k } : {}),
    ...(background ? { background } : {}),
  };
}

/** Normalise a validated JSON body. */
export function classifyCommandFromJson(
  body: z.infer<typeof ClassifyJsonSchema>,
  limits: ServiceLimits,
): ClassifyCommand {
  assertRequestLimits(limits, { images: body.images.length, labels: body.labels?.length });
  const images = body.images.map((image, i) => {
    const field = `images[${i}]`;
    return { bytes: bytesOfEncodedImage(image, field), field };
  });
  return command(body, images);
}

/** Normalise a validated multipart body. */
export async function classifyCommandFromForm(
  form: z.infer<typeof ClassifyFormSchema>,
  limits: ServiceLimits,
): Promise<ClassifyCommand> {
  const files = Array.isArray(form.image) ? form.image : [form.image];
  const parsed = parseFields({
    labels: formLabels(form.labels),
    classifier: form.classifier,
    method: form.method,
    templates: formTemplates(form.templates),
    descriptors:
      form.descriptors === undefined ? undefined : jsonOr(form.descriptors, () => form.descriptors),
    top_k: formNumber(form.top_k),
    background: form.background,
  });
  assertRequestLimits(limits, { images: files.length, labels: parsed.labels?.length });
  const images = await Promise.all(
    files.map(async (file, i) => {
      const field = `image[${i}]`;
      return { bytes: await bytesOfUpload(file, field), field };
    }),
  );
  return command(parsed, images);
}
