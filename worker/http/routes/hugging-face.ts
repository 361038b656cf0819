/**
 * POST /models/{model}: the Hugging Face Inference API's zero-shot-image-classification task,
 * so clients written for it work unchanged against this service. The image comes in every form
 * those clients send: `inputs` as a base64 string (huggingface_hub), `inputs: { image: base64 }`
 * (@huggingface/inference's zeroShotImageClassification), or the raw bytes as the body with an
 * image Content-Type (a client posting a Blob), whose parameters then travel in the query.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { DescryError } from 'descry';
import type { ServiceDeps } from '../../service/deps.js';
import type { Inference } from '../../service/inference.js';
import { ProblemError } from '../problem.js';
import { assertRequestLimits } from '../request/classify-input.js';
import { bytesOfEncodedImage, bytesOfUpload } from '../request/images.js';
import {
  BackgroundSchema,
  backgroundOption,
  EncodedImageSchema,
  LabelSchema,
  problemResponses,
  TemplateSchema,
} from '../schemas.js';
import { rejectInvalid, validationProblem } from '../validation-problem.js';

const LabelsSchema = z.array(LabelSchema).min(1);

const CandidateLabelsSchema = z
  .union([LabelsSchema, z.string().min(1)])
  .openapi({ description: 'A list, or one comma-separated string', example: ['cat', 'dog'] });

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
  candidate_labels: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .openapi({ description: 'With a raw image body: comma-separated or repeated labels' }),
  hypothesis_template: TemplateSchema.optional().openapi({
    description: 'With a raw image body: the prompt template',
  }),
  background: BackgroundSchema.optional().openapi({ description: 'With a raw image body: the background' }),
});

const HfResponseSchema = z
  .array(z.object({ label: z.string(), score: z.number() }))
  .openapi('HfZeroShotImageClassificationResponse');

/** Media types of a raw image body. */
const RAW_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'application/octet-stream'] as const;
const RawImageSchema = z.string().openapi({ type: 'string', format: 'binary' });

const route = createRoute({
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
    ...problemResponses(400, 401, 404, 413, 415, 422, 503),
  },
});

/** Whether a model name in a URL (already percent-decoded by the router) names the loaded model. */
function namesModel(name: string, id: string): boolean {
  const last = id.split('/').filter(Boolean).pop() ?? id;
  return name === id || name === last;
}

/** Labels from a list or a comma-separated string, each checked as any label is. */
function candidateLabels(value: string | string[], field: string): string[] {
  const list =
    typeof value === 'string'
      ? value
          .split(',')
          .map((label) => label.trim())
          .filter(Boolean)
      : value;
  const parsed = LabelsSchema.safeParse(list);
  if (!parsed.success) {
    throw validationProblem(
      new z.ZodError(parsed.error.issues.map((issue) => ({ ...issue, path: [field, ...issue.path] }))),
    );
  }
  return parsed.data;
}

interface HfCommand {
  image: Uint8Array;
  labels: string[];
  template: string | undefined;
  background: string | undefined;
}

function isJson(contentType: string | undefined): boolean {
  return /^application\/([\w.-]+\+)?json\s*(;|$)/i.test(contentType ?? '');
}

/** Routes of the Hugging Face compatible endpoint. */
export function huggingFaceRoutes(deps: ServiceDeps, inference: Inference) {
  return new OpenAPIHono({ defaultHook: rejectInvalid }).openapi(route, async (c) => {
    const { model } = c.req.valid('param');
    const query = c.req.valid('query');
    let command: HfCommand;
    if (isJson(c.req.header('Content-Type'))) {
      const { inputs, parameters } = c.req.valid('json');
      command = {
        image: bytesOfEncodedImage(typeof inputs === 'string' ? inputs : inputs.image, 'inputs'),
        labels: candidateLabels(parameters.candidate_labels, 'parameters.candidate_labels'),
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
      command = {
        image: await bytesOfUpload(await c.req.blob(), 'body'),
        labels: candidateLabels(query.candidate_labels, 'candidate_labels'),
        template: query.hypothesis_template,
        background: query.background,
      };
    }
    assertRequestLimits(deps.config.limits, { images: 1, labels: command.labels.length });
    const engine = await inference.engine();
    if (!namesModel(model, engine.info.id)) {
      throw new DescryError('not_found', `this service serves ${engine.info.id}, not ${model}`, {
        details: { model },
      });
    }
    const signal = c.req.raw.signal;
    const classifier = await inference.compile(
      { labels: command.labels, ...(command.template ? { templates: [command.template] } : {}) },
      signal,
    );
    const embeddings = await inference.embedImages([{ bytes: command.image, field: 'inputs' }], {
      background: backgroundOption(command.background),
      signal,
    });
    const [result] = await engine.classifyEmbeddings(embeddings, classifier, { method: 'zeroshot', signal });
    const predictions = [...(result?.predictions ?? [])].sort((a, b) => b.score - a.score);
    return c.json(
      predictions.map(({ label, score }) => ({ label, score })),
      200,
    );
  });
}
