/** POST /v1/embeddings: L2-normalised image and/or text vectors in the model's joint space. */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Matrix } from 'descry';
import type { ServiceDeps } from '../../service/deps.js';
import type { Inference } from '../../service/inference.js';
import { ProblemError } from '../problem.js';
import { assertRequestLimits } from '../request/classify-input.js';
import { bytesOfEncodedImage, bytesOfUpload, type RequestImage } from '../request/images.js';
import { bodyEncoding } from '../request/media-type.js';
import {
  BackgroundSchema,
  backgroundOption,
  EncodedImageSchema,
  problemResponses,
  UploadSchema,
  wellFormedText,
} from '../schemas.js';
import { rejectInvalid } from '../validation-problem.js';

const TextSchema = wellFormedText(1, 2000);

const EmbeddingsJsonSchema = z
  .object({
    images: z.array(EncodedImageSchema).min(1).optional(),
    texts: z.array(TextSchema).min(1).optional(),
    background: BackgroundSchema.optional(),
  })
  .refine((body) => body.images !== undefined || body.texts !== undefined, {
    message: 'give images, texts or both',
    path: ['images'],
  })
  .openapi('EmbeddingsRequest');

const EmbeddingsFormSchema = z
  .object({
    image: z.union([UploadSchema, z.array(UploadSchema)]).optional(),
    text: z.union([TextSchema, z.array(TextSchema)]).optional(),
    background: BackgroundSchema.optional(),
  })
  .openapi('EmbeddingsForm');

const VectorsSchema = z.array(z.array(z.number()));

export const EmbeddingsResponseSchema = z
  .object({
    model: z.string(),
    dim: z.number().int(),
    images: VectorsSchema.optional(),
    texts: VectorsSchema.optional(),
  })
  .openapi('EmbeddingsResponse');

const route = createRoute({
  method: 'post',
  path: '/v1/embeddings',
  operationId: 'createEmbeddings',
  tags: ['embeddings'],
  summary: 'Embed images and/or texts',
  security: [{ bearerAuth: [] }],
  request: {
    body: {
      required: false,
      content: {
        'application/json': { schema: EmbeddingsJsonSchema },
        'multipart/form-data': { schema: EmbeddingsFormSchema },
      },
    },
  },
  responses: {
    200: {
      description: 'Vectors in input order',
      content: { 'application/json': { schema: EmbeddingsResponseSchema } },
    },
    ...problemResponses(400, 401, 413, 415, 422, 503),
  },
});

function rows(matrix: Matrix): number[][] {
  return Array.from({ length: matrix.rows }, (_, r) =>
    Array.from(matrix.data.subarray(r * matrix.cols, (r + 1) * matrix.cols)),
  );
}

/** Routes of the embeddings endpoint. */
export function embeddingsRoutes(deps: ServiceDeps, inference: Inference) {
  return new OpenAPIHono({ defaultHook: rejectInvalid }).openapi(route, async (c) => {
    const limits = deps.config.limits;
    const signal = c.req.raw.signal;
    let images: RequestImage[] = [];
    let texts: string[] = [];
    let background: string | undefined;
    if (bodyEncoding(c) === 'json') {
      const body = c.req.valid('json') as z.infer<typeof EmbeddingsJsonSchema>;
      assertRequestLimits(limits, { images: body.images?.length ?? 0 });
      images = (body.images ?? []).map((image, i) => {
        const field = `images[${i}]`;
        return { bytes: bytesOfEncodedImage(image, field), field };
      });
      texts = body.texts ?? [];
      background = body.background;
    } else {
      const form = c.req.valid('form') as z.infer<typeof EmbeddingsFormSchema>;
      const files = form.image === undefined ? [] : Array.isArray(form.image) ? form.image : [form.image];
      assertRequestLimits(limits, { images: files.length });
      images = await Promise.all(
        files.map(async (file, i) => {
          const field = `image[${i}]`;
          return { bytes: await bytesOfUpload(file, field), field };
        }),
      );
      texts = form.text === undefined ? [] : Array.isArray(form.text) ? form.text : [form.text];
      background = form.background;
    }
    if (images.length === 0 && texts.length === 0) {
      throw new ProblemError(422, 'invalid_input', 'give images, texts or both');
    }
    if (texts.length > limits.maxTexts) {
      throw new ProblemError(422, 'invalid_input', `${texts.length} texts; the limit is ${limits.maxTexts}`, {
        extensions: { limit: limits.maxTexts },
      });
    }
    const imageVectors = images.length
      ? await inference.embedImages(images, { background: backgroundOption(background), signal })
      : undefined;
    const textVectors = texts.length ? await inference.embedTexts(texts, signal) : undefined;
    const engine = await inference.engine();
    const dim = imageVectors?.cols ?? textVectors?.cols ?? 0;
    return c.json(
      {
        model: engine.info.id,
        dim,
        ...(imageVectors ? { images: rows(imageVectors) } : {}),
        ...(textVectors ? { texts: rows(textVectors) } : {}),
      },
      200,
    );
  });
}
