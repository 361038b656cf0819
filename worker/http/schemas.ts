/**
 * Zod schemas of responses shared by several routes; they are also the OpenAPI components clients
 * see. Request fields are in ./request/fields.ts.
 */
import { z } from '@hono/zod-openapi';
import { MethodSchema } from './request/fields.js';

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
  408: 'The request body did not arrive in time (`request_timeout`)',
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

export const EvidenceSchema = z.object({ descriptor: z.string(), cosine: z.number() }).openapi('Evidence');

export const PredictionSchema = z
  .object({
    label: z.string(),
    score: z.number(),
    cosine: z.number(),
    evidence: z.array(EvidenceSchema).optional(),
  })
  .openapi('Prediction');

export const LabelSetSchema = z
  .object({
    labels: z
      .array(z.string())
      .openapi({ description: 'Labels in the set, best first (from all labels, before top_k)' }),
    abstain: z.boolean().openapi({
      description:
        'The set is empty, the image is below the calibrated none-of-these threshold, or the set is larger than max_set_size',
    }),
    reason: z.enum(['empty', 'none_of_these', 'too_large']).optional(),
    alpha: z.number().openapi({
      description:
        'The set misses the true label at most this often (over images like the calibration images)',
    }),
  })
  .openapi('PredictionSet', {
    description:
      "A conformal prediction set: with a classifier calibrated (POST /v1/classifiers/{id}/calibrate) for the method that scored the image, it holds the image's true label with probability at least 1 − alpha",
  });

export const DegradationSchema = z
  .object({ requested: MethodSchema, used: MethodSchema, reason: z.string() })
  .openapi('Degradation');

/**
 * The body of a route that takes JSON or multipart: `c.req.valid('json' | 'form')` by its
 * Content-Type (request/media-type.ts `bodyEncoding`). Not `required`: zod-openapi would then
 * validate both encodings whatever the Content-Type.
 */
export function jsonOrFormBody<Json extends z.ZodType, Form extends z.ZodType>(
  json: Json,
  form: Form,
  description?: string,
) {
  return {
    required: false,
    ...(description === undefined ? {} : { description }),
    content: {
      'application/json': { schema: json },
      'multipart/form-data': { schema: form },
    },
  } as const;
}
