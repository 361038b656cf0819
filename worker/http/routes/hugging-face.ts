/**
 * POST /models/{model}: the Hugging Face Inference API's zero-shot-image-classification task,
 * so clients written for it work unchanged against this service. The image comes in every form
 * those clients send: `inputs` as a base64 string (huggingface_hub), `inputs: { image: base64 }`
 * (@huggingface/inference's zeroShotImageClassification), or the raw bytes as the body with an
 * image Content-Type (a client posting a Blob), whose parameters then travel in the query.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { DescryError, type ImageBackground } from 'descry';
import type { MiddlewareHandler } from 'hono';
import type { Service } from '../../service/service.js';
import { requestSignal, requestTimings } from '../middleware/request-context.js';
import { ProblemError } from '../problem.js';
import {
  BackgroundSchema,
  EncodedImageSchema,
  FormBackgroundSchema,
  formListOf,
  LabelsSchema,
  TemplateSchema,
} from '../request/fields.js';
import { bytesOfEncodedImage, bytesOfUpload } from '../request/images.js';
import { assertRequestLimits } from '../request/reader.js';
import { problemResponses } from '../schemas.js';
import { rejectInvalid } from '../validation-problem.js';

const CandidateLabelsSchema = formListOf(LabelsSchema, {
  commas: true,
  description: 'A list, or one comma-separated string',
}).openapi({ example: ['cat', 'dog'] });

const HfRequestSchema = z
  .object({
    inputs: z.union([EncodedImageSchema, z.object({ image: EncodedImageSchema })]).openapi({
      description: 'Base64 image bytes (or a base64 data: URL), bare or as `{ "image": … }`',
    }),
    parameters: z.object({
      candidate_labels: CandidateLabelsSchema,
      hypothesis_template: TemplateSchema.optional(),
      background: BackgroundSchema.optional(),
    }),
  })
  .openapi('HfZeroShotImageClassificationRequest');

const HfQuerySchema = z.object({
  candidate_labels: CandidateLabelsSchema.optional().openapi({
    description: 'With a raw image body: comma-separated or repeated labels',
  }),
  hypothesis_template: TemplateSchema.optional().openapi({
    description: 'With a raw image body: the prompt template',
  }),
  background: FormBackgroundSchema.optional().openapi({
    description: 'With a raw image body: the background',
  }),
});

const HfResponseSchema = z
  .array(z.object({ label: z.string(), score: z.number() }))
  .openapi('HfZeroShotImageClassificationResponse');

/** Media types of a raw image body. */
const RAW_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'application/octet-stream'] as const;
const RawImageSchema = z.string().openapi({ type: 'string', format: 'binary' });

/** Whether a model name in a URL (already percent-decoded by the router) names the loaded model. */
export function namesModel(name: string, id: string): boolean {
  const last = id.split('/').filter(Boolean).pop() ?? id;
  return name === id || name === last;
}

/** Whether a Content-Type is JSON. */
function isJson(contentType: string | undefined): boolean {
  return /^application\/([\w.-]+\+)?json\s*(;|$)/i.test(contentType ?? '');
}

/** The HF request after reading, from JSON or a raw body. */
interface HfRequest {
  image: Uint8Array;
  labels: string[];
  template: string | undefined;
  background: ImageBackground | undefined;
}

/** The route, with its admission middleware. */
const hfRoute = (middleware: MiddlewareHandler) =>
  createRoute({
    middleware: [middleware] as const,
    method: 'post',
    path: '/models/{model}',
    operationId: 'huggingFaceZeroShotImageClassification',
    tags: ['hugging-face'],
    summary: 'Hugging Face zero-shot-image-classification task',
    security: [{ bearerAuth: [] }],
    request: {
      params: z.object({
        model: z
          .string()
          .min(1)
          .openapi({ param: { name: 'model', in: 'path' }, example: 'emoji-clip' }),
      }),
      query: HfQuerySchema,
      body: {
        required: false,
        description: 'JSON, or the image bytes themselves (labels then in the query)',
        content: {
          'application/json': { schema: HfRequestSchema },
          ...Object.fromEntries(RAW_IMAGE_TYPES.map((type) => [type, { schema: RawImageSchema }])),
        },
      },
    },
    responses: {
      200: {
        description: 'Labels sorted by score',
        content: { 'application/json': { schema: HfResponseSchema } },
      },
      ...problemResponses(400, 401, 404, 408, 413, 415, 422, 503),
    },
  });

/** Routes of the Hugging Face compatible endpoint. */
export function huggingFaceRoutes(service: Service) {
  const { inference, config } = service;
  const route = hfRoute(service.gate.admit);
  return new OpenAPIHono({ defaultHook: rejectInvalid }).openapi(route, async (c) => {
    const { model } = c.req.valid('param');
    const query = c.req.valid('query');
    let request: HfRequest;
    if (isJson(c.req.header('Content-Type'))) {
      const { inputs, parameters } = c.req.valid('json');
      request = {
        image: bytesOfEncodedImage(typeof inputs === 'string' ? inputs : inputs.image, 'inputs'),
        labels: parameters.candidate_labels,
        template: parameters.hypothesis_template,
        background: parameters.background,
      };
    } else {
      if (query.candidate_labels === undefined) {
        throw new ProblemError(
          422,
          'invalid_input',
          'candidate_labels: with a raw image body, give the labels in the query (?candidate_labels=a,b)',
        );
      }
      request = {
        image: await bytesOfUpload(await c.req.blob(), 'body'),
        labels: query.candidate_labels,
        template: query.hypothesis_template,
        background: query.background,
      };
    }
    assertRequestLimits(config.limits, { images: 1, labels: request.labels.length });
    const engine = await inference.engine();
    if (!namesModel(model, engine.info.id)) {
      throw new DescryError('not_found', `this service serves ${engine.info.id}, not ${model}`, {
        details: { model },
      });
    }
    const templates = request.template ? [request.template] : undefined;
    await inference.assertBudget({
      images: [{ bytes: request.image, field: 'inputs' }],
      spec: { labels: request.labels, ...(templates ? { templates } : {}) },
    });
    const [result] = await engine.classify([request.image], request.labels, {
      method: 'zeroshot',
      ...(templates ? { templates } : {}),
      background: request.background,
      ...inference.run(requestSignal(c), requestTimings(c)),
    });
    // Zero-shot predictions come best first: the order the API's clients expect.
    return c.json(
      (result?.predictions ?? []).map(({ label, score }) => ({ label, score })),
      200,
    );
  });
}
