/**
 * Zod schemas shared by several routes; they are also the OpenAPI components clients see.
 */
import { z } from '@hono/zod-openapi';
import type { ImageBackground } from 'descry';

/** RFC 9457 problem details. */
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:descry:problem:invalid_input' }),
    title: z.string().openapi({ example: 'Unprocessable Content' }),
    status: z.number().int().openapi({ example: 422 }),
    detail: z.string(),
    code: z.string().openapi({ example: 'invalid_input' }),
    instance: z.string().openapi({ example: '/v1/classify' }),
    request_id: z.string().optional(),
    errors: z
      .object({ formErrors: z.array(z.string()), fieldErrors: z.record(z.string(), z.array(z.string())) })
      .optional(),
  })
  .openapi('Problem');

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed body (JSON or multipart that cannot be parsed)',
  401: 'Missing or invalid API key',
  404: 'Unknown classifier or model',
  409: 'Stored classifier belongs to another model',
  413: 'Body larger than the configured limit',
  415: 'Unsupported Content-Type or image format',
  422: 'Invalid fields or undecodable image',
  502: 'The LLM failed',
  503: 'The model or a store is not available, or the service is busy (`overloaded`, with Retry-After)',
  504: 'The LLM timed out',
};

/** OpenAPI `responses` entries for the given problem statuses. */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: PROBLEM_DESCRIPTIONS[status] ?? 'Error',
        content: { 'application/problem+json': { schema: ProblemSchema } },
      },
    ]),
  );
}

export const MethodSchema = z
  .enum(['zeroshot', 'descriptions', 'fudd', 'tfup'])
  .openapi({ description: 'Classification method', example: 'zeroshot' });

/** A lone UTF-16 surrogate: with the `u` flag, paired surrogates match as one code point and are not. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

const wellFormed = (text: string) => !LONE_SURROGATE.test(text);
const WELL_FORMED = 'must be well-formed Unicode (no lone surrogates)';

/**
 * Text that reaches the model or a store. A lone surrogate cannot be encoded as UTF-8 (stored
 * classifiers, multipart and the tokenizer would all turn it into U+FFFD), so it is refused with
 * 422 rather than silently altered.
 */
export function wellFormedText(min: number, max: number) {
  return z.string().min(min).max(max).refine(wellFormed, WELL_FORMED);
}

/** {@link wellFormedText}, trimmed first: labels and descriptors. */
function trimmedText(max: number) {
  return z.string().trim().min(1).max(max).refine(wellFormed, WELL_FORMED);
}

export const LabelSchema = trimmedText(200);
export const TemplateSchema = wellFormedText(1, 300)
  .refine((t) => t.includes('{}'), 'a template must contain {} where the label goes')
  .openapi({ example: 'an emoji of {}.' });
export const DescriptorsSchema = z
  .record(LabelSchema, z.array(trimmedText(300)).min(1).max(64))
  .openapi({ example: { cat: ['whiskers', 'pointed ears'] } });

export const ClassifierIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'ids are 1-64 letters, digits, _ . -, starting alphanumeric')
  .openapi({ param: { name: 'id', in: 'path' }, example: 'emoji-animals' });

export const EvidenceSchema = z.object({ descriptor: z.string(), cosine: z.number() }).openapi('Evidence');

export const PredictionSchema = z
  .object({
    label: z.string(),
    score: z.number(),
    cosine: z.number(),
    evidence: z.array(EvidenceSchema).optional(),
  })
  .openapi('Prediction');

export const DegradationSchema = z
  .object({ requested: MethodSchema, used: MethodSchema, reason: z.string() })
  .openapi('Degradation');

/** An uploaded file part, documented as binary. */
export const UploadSchema = z
  .custom<File>((value) => typeof value === 'object' && value !== null && 'arrayBuffer' in value, {
    message: 'expected a file upload',
  })
  .openapi({ type: 'string', format: 'binary' });

/**
 * What transparent pixels become before the model sees an image (the SDK's `background`); on the
 * wire always a string.
 */
export const BackgroundSchema = z
  .union([z.enum(['white', 'black', 'drop']), z.string().regex(/^#[0-9a-fA-F]{6}$/, "a colour is '#rrggbb'")])
  .openapi({
    description:
      "What transparent pixels become: 'white' (the default), 'black' or '#rrggbb' composite the image onto that colour; 'drop' ignores alpha (what transformers.js and CLIPImageProcessor do)",
    example: 'white',
  });

/** The SDK's background option from its wire form. */
export function backgroundOption(value: string | undefined): ImageBackground | undefined {
  return value as ImageBackground | undefined;
}

/** Base64 or a base64 data URL. */
export const EncodedImageSchema = z.string().min(1).openapi({
  description: 'Base64 image bytes or a base64 data: URL',
  example: 'data:image/png;base64,iVBORw0…',
});
