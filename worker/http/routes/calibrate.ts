/**
 * POST /v1/classifiers/{id}/calibrate: fit a split-conformal calibration of a stored classifier on
 * labelled images (or their embeddings) and store the classifier with it, so that classifications
 * by the calibrated method return a prediction set per image that holds the true label with
 * probability at least 1 − alpha. Runs the vision encoder, so it is admitted as inference.
 *
 * Everything the SDK can refuse before embedding (too few images for alpha, a label not in the
 * classifier, a method the classifier lacks what for) is refused before any image is decoded
 * (`Descry.calibrate`). The classifier is written back only if it is still the version read: a
 * replace that raced with the calibration wins, and this call answers 409 `store_conflict`.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { InvalidInputError, type LabelledImages, type Matrix } from 'descry';
import type { Service } from '../../service/service.js';
import { noteWorkload, requestSignal, requestTimings } from '../middleware/request-context.js';
import {
  BackgroundSchema,
  ClassifierIdSchema,
  FormBackgroundSchema,
  formImages,
  formListOf,
  jsonImages,
  LabelSchema,
} from '../request/fields.js';
import { bodyEncoding } from '../request/media-type.js';
import { readImageRequest } from '../request/reader.js';
import { jsonOrFormBody, problemResponses } from '../schemas.js';
import { rejectInvalid } from '../validation-problem.js';
import { ClassifierInfoSchema, classifierInfo } from './classifiers.js';

/** Embedding rows one request may calibrate on (a 256-dimensional row is about 5 KB of JSON). */
export const MAX_CALIBRATION_EMBEDDINGS = 10_000;

const AlphaSchema = z.number().gt(0).lt(1).openapi({
  description:
    'Miscoverage: sets hold the true label at least 1 − alpha of the time. The smaller alpha, the more images it needs: n ≥ ⌈(n + 1)(1 − alpha)⌉ (alpha 0.2: 4, 0.1: 9, 0.05: 19)',
  example: 0.1,
});
const CalibratedMethodSchema = z.enum(['zeroshot', 'descriptions', 'subclasses']).openapi({
  description:
    'The classification method whose scores are calibrated (default zeroshot): classify with it to get sets',
});
const ScoreSchema = z.enum(['lac', 'aps', 'raps']).openapi({
  description: 'Nonconformity score: lac (default; smallest sets), aps, raps',
});
const NoneOfTheseSchema = z.enum(['cosine', 'score', 'margin']).openapi({
  description:
    'Also fit a "none of these" threshold on this confidence: sets abstain (reason none_of_these) below it, for at most alpha of images whose label is among the candidates',
});
const ImageLabelsSchema = z
  .array(LabelSchema)
  .min(1)
  .openapi({ description: 'The true label of each image (or embedding row), in order' });

/** The fields both encodings share, as schema objects. */
const common = {
  alpha: AlphaSchema,
  method: CalibratedMethodSchema.optional(),
  score: ScoreSchema.optional(),
  none_of_these: NoneOfTheseSchema.optional(),
};

/** Exactly one of images and embeddings, with one label per image. */
function oneLabelPerImage(
  body: { images?: unknown[] | undefined; embeddings?: unknown[] | undefined; image_labels: string[] },
  ctx: z.RefinementCtx,
): void {
  if ((body.images === undefined) === (body.embeddings === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['images'], message: 'give either images or embeddings, not both' });
    return;
  }
  const count = (body.images ?? body.embeddings)!.length;
  if (body.image_labels.length !== count) {
    ctx.addIssue({
      code: 'custom',
      path: ['image_labels'],
      message: `${body.image_labels.length} labels for ${count} ${body.images ? 'images' : 'embeddings'}: give one per image`,
    });
  }
}

/** JSON body of the calibrate route. */
export const CalibrateJsonSchema = z
  .object({
    images: jsonImages.optional(),
    embeddings: z
      .array(z.array(z.number()).min(1).max(8192))
      .min(1)
      .max(MAX_CALIBRATION_EMBEDDINGS)
      .optional()
      .openapi({
        description:
          "Image embeddings from POST /v1/embeddings of this deployment's model (instead of images: more than one request's images)",
      }),
    image_labels: ImageLabelsSchema,
    ...common,
    background: BackgroundSchema.optional(),
  })
  .superRefine(oneLabelPerImage)
  .openapi('CalibrateRequest');

const formNumber = z
  .string()
  .transform((value) => Number(value))
  .pipe(AlphaSchema);

/** Multipart body of the calibrate route. */
export const CalibrateFormSchema = z
  .object({
    image: formImages,
    image_labels: formListOf(ImageLabelsSchema, {
      commas: false,
      description: 'Repeated (one per image, in order) or a JSON array',
    }),
    alpha: formNumber,
    method: CalibratedMethodSchema.optional(),
    score: ScoreSchema.optional(),
    none_of_these: NoneOfTheseSchema.optional(),
    background: FormBackgroundSchema.optional(),
  })
  .superRefine((body, ctx) =>
    oneLabelPerImage(
      { images: Array.isArray(body.image) ? body.image : [body.image], image_labels: body.image_labels },
      ctx,
    ),
  )
  .openapi('CalibrateForm');

/** The validated fields of either encoding that the handler reads beyond the image request. */
type CalibrateFields = Pick<
  z.infer<typeof CalibrateJsonSchema>,
  'alpha' | 'method' | 'score' | 'none_of_these'
> & {
  embeddings?: number[][] | undefined;
};

/** Embedding rows as a matrix; rows of unequal length are a 422. */
function embeddingMatrix(rows: number[][]): Matrix {
  const cols = rows[0]!.length;
  const data = new Float32Array(rows.length * cols);
  rows.forEach((row, i) => {
    if (row.length !== cols) {
      throw new InvalidInputError(
        'invalid_input',
        `embeddings[${i}] has ${row.length} values, embeddings[0] ${cols}`,
      );
    }
    data.set(row, i * cols);
  });
  return { rows: rows.length, cols, data };
}

/** Routes of the calibration endpoint. */
export function calibrateRoutes(service: Service) {
  const { inference, classifiers, config } = service;
  const route = createRoute({
    method: 'post',
    path: '/v1/classifiers/{id}/calibrate',
    operationId: 'calibrateClassifier',
    tags: ['classifiers'],
    summary: 'Calibrate a stored classifier on labelled images, for prediction sets with guaranteed coverage',
    security: [{ bearerAuth: [] }],
    middleware: [service.gate.admit] as const,
    request: {
      params: z.object({ id: ClassifierIdSchema }),
      body: jsonOrFormBody(
        CalibrateJsonSchema,
        CalibrateFormSchema,
        'JSON with base64 images or embedding rows, or multipart with `image` files',
      ),
    },
    responses: {
      200: {
        description: 'The classifier with its calibration, as stored',
        content: { 'application/json': { schema: ClassifierInfoSchema } },
      },
      ...problemResponses(400, 401, 404, 408, 409, 413, 415, 422, 503),
    },
  });
  return new OpenAPIHono({ defaultHook: rejectInvalid }).openapi(route, async (c) => {
    const { id } = c.req.valid('param');
    const request = await readImageRequest(c, config.limits);
    const fields = (c.req.valid as (target: 'json' | 'form') => CalibrateFields)(bodyEncoding(c));
    // An unknown id is answered before any image is decoded or the model loads.
    const { classifier, version } = await classifiers.get(id);
    const truth = request.imageLabels ?? [];
    let labelled: LabelledImages;
    if (fields.embeddings) {
      labelled = { embeddings: embeddingMatrix(fields.embeddings), labels: truth };
    } else {
      noteWorkload(c, { images: request.images.length });
      await inference.assertBudget({ images: request.images });
      labelled = request.images.map((image, i) => ({ image: image.bytes, label: truth[i]! }));
    }
    const engine = await inference.engine();
    const calibrated = await engine.calibrate(classifier, labelled, {
      alpha: fields.alpha,
      ...(fields.method ? { method: fields.method } : {}),
      ...(fields.score ? { score: fields.score } : {}),
      ...(fields.none_of_these ? { noneOfThese: fields.none_of_these } : {}),
      ...(request.background !== undefined ? { background: request.background } : {}),
      ...inference.run(requestSignal(c), requestTimings(c)),
    });
    const { classifier: stored } = await classifiers.put(id, calibrated, { ifVersion: version });
    return c.json(classifierInfo(id, stored), 200);
  });
}
