/** POST /v1/embeddings: L2-normalised image and/or text vectors in the model's joint space. */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Matrix } from 'descry';
import { embedInBatches } from '../batches.js';
import { assertRequestLimits } from '../classify-input.js';
import { ProblemError } from '../problem.js';
import { assertPixelLimit, bytesOfEncodedImage, bytesOfUpload } from '../request-images.js';
import { bodyEncoding } from '../request-media-type.js';
import { EncodedImageSchema, problemResponses, UploadSchema, wellFormedText } from '../schemas.js';
import type { ServiceDeps } from '../service-deps.js';
import { rejectInvalid } from '../validation-problem.js';

const TextSchema = wellFormedText(1, 2000);

const EmbeddingsJsonSchema = z
  .object({
    images: z.array(EncodedImageSchema).min(1).optional(),
    texts: z.array(TextSchema).min(1).optional(),
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
export function embeddingsRoutes(deps: ServiceDeps) {
  return new OpenAPIHono({ defaultHook: rejectInvalid }).openapi(route, async (c) => {
    const limits = deps.config.limits;
    let images: Uint8Array[] = [];
    let texts: string[] = [];
    if (bodyEncoding(c) === 'json') {
      const body = c.req.valid('json') as z.infer<typeof EmbeddingsJsonSchema>;
      assertRequestLimits(limits, { images: body.images?.length ?? 0 });
      images = (body.images ?? []).map((image, i) => bytesOfEncodedImage(image, `images[${i}]`));
      texts = body.texts ?? [];
    } else {
      const form = c.req.valid('form') as z.infer<typeof EmbeddingsFormSchema>;
      const files = form.image === undefined ? [] : Array.isArray(form.image) ? form.image : [form.image];
      assertRequestLimits(limits, { images: files.length });
      images = await Promise.all(files.map((file, i) => bytesOfUpload(file, `image[${i}]`)));
      texts = form.text === undefined ? [] : Array.isArray(form.text) ? form.text : [form.text];
    }
    if (images.length === 0 && texts.length === 0) {
      throw new ProblemError(422, 'invalid_input', 'give images, texts or both');
    }
    if (texts.length > limits.maxTexts) {
      throw new ProblemError(422, 'invalid_input', `${texts.length} texts; the limit is ${limits.maxTexts}`, {
        extensions: { limit: limits.maxTexts },
      });
    }
    images.forEach((bytes, i) => {
      assertPixelLimit(bytes, limits.maxImagePixels, `images[${i}]`);
    });
    const engine = await deps.engine();
    const [imageVectors, textVectors] = await Promise.all([
      images.length ? embedInBatches(images, (batch) => engine.embedImages(batch)) : undefined,
      texts.length ? engine.embedTexts(texts) : undefined,
    ]);
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
