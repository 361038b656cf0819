/**
 * Request fuzzing with fast-check: generated request bodies, valid-ish and hostile, JSON and
 * multipart and raw, go to every route of a real Node server (worker/hosts/node-server.node.ts on 127.0.0.1, the
 * static LLM source, memory stores). Each must get an answer below 500: a 2xx, or problem+json
 * with a stable code. No request may take longer than a time bound, the process must not crash
 * (an unhandled rejection fails the run), and memory must come back near its baseline.
 *
 * What is generated: for each route, bodies built from its fields with values that are right,
 * nearly right (wrong types, out of range, empty, huge, lone surrogates, prototype keys) or
 * wrong; images as base64, data URLs and uploads of real PNG/JPEG/WebP files, damaged copies of
 * them, or random bytes; arbitrary JSON values; raw strings that are not JSON; random content
 * types, ids, model names and percent-escapes in paths; and missing or wrong keys.
 *
 * And the costly shapes of issue 18, which must be refused or answered, never crash or 5xx:
 * progressive JPEGs (real ones from sharp, flat colour up to 2048², whose full-size coefficients
 * the decoder budget must charge; headers alone declaring up to 65535²; damaged copies), mixed
 * with ordinary images in one request; and text-heavy bodies (up to 70 labels of up to 210
 * characters, 32 templates, 64 descriptors per label: the schema's bounds and a little past them,
 * `method: descriptions` or another) that the prompt-token budget, the label limit or the body limit
 * must stop.
 *
 * `npm test` runs a few hundred requests; `npm run fuzz` (FUZZ=full) runs more than 10,000 and
 * prints the outcome counts. FUZZ_SEED replays a run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startNodeServer } from '../../worker/hosts/node-server.node.js';
import { progressiveJpegHeader } from '../worker/support/synthetic-images.js';
import { TEST_KEYS, TEST_VARS } from '../worker/support/test-vars.js';
import { FuzzTally, settledMemory, WARM_UP } from './support/fuzz-tally.js';

const FULL = process.env.FUZZ === 'full';
const SEED = process.env.FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED);
/** Requests per group: structured bodies per route, and hostile ones. */
const RUNS = FULL
  ? { structured: 8000, hostile: 2500, costly: 2500 }
  : { structured: 200, hostile: 100, costly: 80 };
/** The longest one request may take (generous: the machine is shared). */
const TIME_BOUND_MS = 15_000;
/** How far memory may stay above its baseline once everything is collected (stores grow a little). */
const MEMORY_SLACK_BYTES = 96 * 2 ** 20;

const fixtures = join(process.cwd(), 'tests/fixtures/preprocess');
const seeds = [
  'noise_33x47.png',
  'rgba_120x90.png',
  'photo_444_160x120.jpg',
  'lossy_150x100.webp',
  'tiny_1x1.png',
].map((name) => new Uint8Array(readFileSync(join(fixtures, name))));

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** Real progressive JPEGs (sharp, libjpeg-turbo): flat colour, so large sides stay small files. */
const progressiveSeeds = await Promise.all(
  [64, 512, 1024, 2048].map(
    async (side) =>
      new Uint8Array(
        await sharp({
          create: { width: side, height: side, channels: 3, background: { r: 40, g: 120, b: 200 } },
        })
          .jpeg({ progressive: true, quality: 80, chromaSubsampling: '4:4:4' })
          .toBuffer(),
      ),
  ),
);

// ---- values ----------------------------------------------------------------------------------

/** Image bytes: a real image, a damaged one, or anything. */
const imageBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...seeds) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }),
      )
      .map(([seed, flips]) => {
        const out = seed.slice();
        for (const [where, value] of flips) out[where % out.length] = value;
        return out;
      }),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(...seeds), fc.nat()).map(([s, n]) => s.slice(0, n % s.length)),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }) },
);

/** An image as JSON carries it: base64, a data URL, or a string that is neither. */
const encodedImage: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: imageBytes.map(base64) },
  { weight: 2, arbitrary: imageBytes.map((bytes) => `data:image/png;base64,${base64(bytes)}`) },
  { weight: 1, arbitrary: imageBytes.map((bytes) => `data:image/png,${base64(bytes)}`) },
  {
    weight: 1,
    arbitrary: imageBytes.map((bytes) => base64(bytes).replaceAll('+', '-').replaceAll('/', '_')),
  },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.anything() },
);

/** Text with the awkward cases: empty, blank, long, emoji, lone surrogates. */
const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('cat', 'dog', 'pizza', 'star', 'clock', 'high voltage', '🐱 cat') },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', '   ', '\ud83d', 'x\udc00y', '__proto__', 'constructor', 'a'.repeat(400)),
  },
);

const labels = fc.oneof(
  { weight: 6, arbitrary: fc.uniqueArray(text, { minLength: 1, maxLength: 8 }) },
  { weight: 1, arbitrary: fc.array(text, { maxLength: 80 }) },
  { weight: 1, arbitrary: fc.anything() },
);
const template = fc.oneof(
  text.map((t) => `${t} {}`),
  text,
  fc.anything(),
);
const background = fc.oneof(
  fc.constantFrom('white', 'black', 'drop', '#3366cc', '#fff', 'WHITE', ''),
  fc.anything(),
);
const method = fc.oneof(
  fc.constantFrom('zeroshot', 'descriptions', 'subclasses', 'fudd', 'tfup'),
  fc.anything(),
);
const descriptors = fc.oneof(
  fc.dictionary(text, fc.array(text, { maxLength: 4 }), { maxKeys: 4 }),
  fc.anything(),
);
/** Subclasses: mostly well formed, sometimes repeated across labels, empty or not a map at all. */
const subclasses = fc.oneof(
  fc.dictionary(text, fc.array(text, { maxLength: 4 }), { maxKeys: 4 }),
  fc.constant({ cat: ['kitten'], dog: ['kitten'] }),
  fc.anything(),
);
const alpha = fc.oneof(fc.constantFrom(0.1, 0.2, 0.5, 0.05), fc.double(), fc.anything());
const topK = fc.oneof(fc.integer({ min: -2, max: 2000 }), fc.double(), fc.anything());
const id = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('fuzz-a', 'fuzz-b', 'fuzz.c', 'missing') },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('%ZZ', '..', '%2e%2e', 'a%2Fb', '%00', 'x'.repeat(70), '%F0%9F%90%B1'),
  },
);

/** A record whose fields are each present or not. */
function fields(shape: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(shape, { requiredKeys: [] });
}

// ---- requests --------------------------------------------------------------------------------

interface FuzzRequest {
  method: string;
  path: string;
  /** Content-Type to send, or none. */
  type?: string;
  body?: string | Uint8Array | FormData;
  auth: 'key' | 'none' | 'wrong';
}

const auth = fc.oneof(
  { weight: 18, arbitrary: fc.constant<FuzzRequest['auth']>('key') },
  { weight: 1, arbitrary: fc.constantFrom<FuzzRequest['auth']>('none', 'wrong') },
);
const jsonType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/problem+json',
);

function json(
  methodName: string,
  path: fc.Arbitrary<string>,
  body: fc.Arbitrary<unknown>,
): fc.Arbitrary<FuzzRequest> {
  return fc.record({
    method: fc.constant(methodName),
    path,
    type: jsonType,
    body: body.map((value) => JSON.stringify(value) ?? 'null'),
    auth,
  });
}

/** A multipart body: files and fields in any order, names right or not. */
const multipart = (names: string[]): fc.Arbitrary<FormData> =>
  fc
    .array(
      fc.oneof(
        fc
          .tuple(fc.constantFrom('image', 'image', 'file', 'images'), imageBytes)
          .map(([name, bytes]) => ({ name, bytes })),
        fc
          .tuple(
            fc.constantFrom(...names, 'other'),
            fc.oneof(
              text,
              labels.map((l) => JSON.stringify(l)),
            ),
          )
          .map(([name, value]) => ({ name, value: String(value) })),
      ),
      { maxLength: 10 },
    )
    .map((parts) => {
      const form = new FormData();
      for (const part of parts) {
        if ('bytes' in part)
          form.append(
            part.name,
            new Blob([part.bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }),
            'x.png',
          );
        else form.append(part.name, part.value);
      }
      return form;
    });

/** Mostly right: a list of images, and a value that is not one now and then. */
const images = fc.oneof(
  { weight: 8, arbitrary: fc.array(encodedImage, { minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.anything() },
);

/** Labels or a stored classifier, as the route wants (one of them), or not. */
const target = fc.oneof(
  { weight: 5, arbitrary: labels.map((l) => ({ labels: l })) },
  { weight: 3, arbitrary: id.map((c) => ({ classifier: c })) },
  { weight: 1, arbitrary: fc.tuple(labels, id).map(([l, c]) => ({ labels: l, classifier: c })) },
  { weight: 1, arbitrary: fc.constant({}) },
);

const classifyBody = fc
  .tuple(
    images,
    target,
    fields({
      method,
      templates: fc.oneof(fc.array(template, { maxLength: 3 }), fc.anything()),
      descriptors,
      subclasses,
      top_k: topK,
      max_set_size: topK,
      background,
    }),
  )
  .map(([i, t, rest]) => ({ images: i, ...t, ...rest }));

const structured: fc.Arbitrary<FuzzRequest> = fc.oneof(
  json('POST', fc.constant('/v1/classify'), classifyBody),
  fc.record({
    method: fc.constant('POST'),
    path: fc.constant('/v1/classify'),
    body: multipart([
      'labels',
      'classifier',
      'method',
      'templates',
      'descriptors',
      'subclasses',
      'top_k',
      'max_set_size',
      'background',
    ]),
    auth,
  }),
  json(
    'POST',
    fc.constant('/v1/embeddings'),
    fc
      .tuple(images, fields({ texts: fc.oneof(fc.array(text, { maxLength: 6 }), fc.anything()), background }))
      .map(([i, rest]) => ({ images: i, ...rest })),
  ),
  fc.record({
    method: fc.constant('POST'),
    path: fc.constant('/v1/embeddings'),
    body: multipart(['text', 'background']),
    auth,
  }),
  json(
    'PUT',
    id.map((i) => `/v1/classifiers/${i}`),
    fields({ labels, templates: fc.array(template, { maxLength: 3 }), descriptors, subclasses }),
  ),
  json(
    'POST',
    id.map((i) => `/v1/classifiers/${i}/calibrate`),
    fields({
      images: fc.oneof(fc.array(encodedImage, { minLength: 1, maxLength: 3 }), fc.anything()),
      embeddings: fc.oneof(
        fc.array(fc.array(fc.double(), { maxLength: 4 }), { maxLength: 3 }),
        fc.anything(),
      ),
      image_labels: labels,
      alpha,
      method,
      score: fc.oneof(fc.constantFrom('lac', 'aps', 'raps'), fc.anything()),
      none_of_these: fc.oneof(fc.constantFrom('cosine', 'score', 'margin'), fc.anything()),
      background,
    }),
  ),
  fc.record({
    method: fc.constant('POST'),
    path: id.map((i) => `/v1/classifiers/${i}/calibrate`),
    body: multipart(['image_labels', 'alpha', 'method', 'score', 'none_of_these', 'background']),
    auth,
  }),
  json(
    'POST',
    id.map((i) => `/v1/classifiers/${i}/adapt`),
    fields({
      images: fc.oneof(fc.array(encodedImage, { minLength: 1, maxLength: 3 }), fc.anything()),
      background,
    }),
  ),
  fc.record({
    method: fc.constantFrom('GET', 'DELETE', 'POST'),
    path: fc.oneof(
      id.map((i) => `/v1/classifiers/${i}`),
      id.map((i) => `/v1/classifiers/${i}/describe`),
      id.map((i) => `/v1/classifiers/${i}/describe?refresh=1`),
      id.map((i) => `/v1/classifiers/${i}/describe?generate=subclasses`),
      id.map((i) => `/v1/classifiers/${i}/describe?generate=descriptors,poems`),
    ),
    auth,
  }),
  json(
    'POST',
    fc.oneof(
      fc.constant('/models/emoji-clip'),
      id.map((m) => `/models/${m}`),
    ),
    fields({
      inputs: fc.oneof(
        encodedImage,
        encodedImage.map((image) => ({ image })),
        fc.anything(),
      ),
      parameters: fc.oneof(
        fields({
          candidate_labels: fc.oneof(
            labels,
            labels.map((l) => (Array.isArray(l) ? l.join(',') : l)),
          ),
          hypothesis_template: template,
          background,
        }),
        fc.anything(),
      ),
    }),
  ),
  fc.record({
    method: fc.constant('POST'),
    path: fc
      .tuple(
        fc.string({ maxLength: 30 }),
        fc.constantFrom('', '&hypothesis_template=an%20emoji%20of%20%7B%7D', '&background=drop'),
      )
      .map(([l, rest]) => `/models/emoji-clip?candidate_labels=${encodeURIComponent(l || 'cat,dog')}${rest}`),
    type: fc.constantFrom('image/png', 'image/jpeg', 'application/octet-stream', 'image/gif'),
    body: imageBytes,
    auth,
  }),
);

const hostile: fc.Arbitrary<FuzzRequest> = fc.record({
  method: fc.constantFrom('POST', 'PUT', 'GET', 'DELETE', 'PATCH', 'OPTIONS'),
  path: fc.oneof(
    fc.constantFrom(
      '/v1/classify',
      '/v1/embeddings',
      '/v1/classifiers/fuzz-a',
      '/v1/classifiers/fuzz-a/adapt',
      '/v1/classifiers/fuzz-a/calibrate',
      '/models/emoji-clip',
      '/healthz?ready=2',
    ),
    fc.webPath().map((p) => p || '/'),
  ),
  type: fc.oneof(
    fc.constantFrom(
      'application/json',
      'multipart/form-data',
      'multipart/form-data; boundary=x',
      'text/plain',
      'image/png',
      '',
    ),
    fc
      .string({ maxLength: 40 })
      .filter((t) => !/[\r\n\0]/.test(t) && [...t].every((c) => c.charCodeAt(0) < 256)),
  ),
  body: fc.oneof(
    fc.json({ maxDepth: 4 }),
    fc.string({ maxLength: 200 }),
    fc.constantFrom(
      '{"images":',
      '[[[[[[[[[[',
      '{"labels":[1,2,3]}',
      '--x\r\nContent-Disposition: form-data; name="image"\r\n\r\nabc\r\n--x--',
    ),
    fc.nat(12).map((depth) => `${'['.repeat(depth * 50)}${']'.repeat(depth * 50)}`),
    fc.uint8Array({ maxLength: 300 }),
  ),
  auth,
});

/** A progressive JPEG: a real one, its header declaring any size, or a damaged copy. */
const progressiveBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...progressiveSeeds) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 }))
      .map(([w, h]) => progressiveJpegHeader(w, h)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...progressiveSeeds),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
      )
      .map(([seed, flips, header]) => {
        const out = seed.slice();
        // Damage the markers (the first few hundred bytes) or anywhere.
        for (const [where, value] of flips)
          out[where % (header ? Math.min(400, out.length) : out.length)] = value;
        return out;
      }),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...progressiveSeeds), fc.nat())
      .map(([s, n]) => s.slice(0, n % s.length)),
  },
);

/** Up to 8 images per request, progressive JPEGs among ordinary ones. */
const costlyImages = fc.array(
  fc.oneof({ weight: 3, arbitrary: progressiveBytes }, { weight: 1, arbitrary: imageBytes }).map(base64),
  { minLength: 1, maxLength: 8 },
);

/** A long label: words up to `length` characters. */
const longText = (length: number) =>
  fc
    .tuple(fc.nat(length), fc.constantFrom('a photo of', 'ceramic', 'striped', 'x', '🐱'))
    .map(([n, word]) => `${word} ${'lorem ipsum '.repeat(Math.ceil(n / 12))}`.slice(0, Math.max(1, n)));

/** Labels × templates × descriptors, as many as a hostile client would send. */
const textHeavy = fc
  .record({
    labels: fc.integer({ min: 1, max: 70 }),
    labelLength: fc.integer({ min: 1, max: 210 }),
    templates: fc.integer({ min: 0, max: 33 }),
    descriptors: fc.integer({ min: 0, max: 66 }),
    method: fc.oneof(
      { weight: 4, arbitrary: fc.constant('descriptions') },
      { weight: 1, arbitrary: fc.constantFrom('zeroshot', 'subclasses', 'fudd') },
    ),
    filler: longText(300),
  })
  .map(({ labels: n, labelLength, templates: t, descriptors: d, method: m, filler }) => {
    const labelsOut = Array.from({ length: n }, (_, i) =>
      `${i} ${filler}`.padEnd(labelLength, 'x').slice(0, labelLength),
    );
    return {
      labels: labelsOut,
      method: m,
      ...(t > 0 ? { templates: Array.from({ length: t }, (_, i) => `a photo ${i} of {}`) } : {}),
      ...(d > 0
        ? {
            descriptors: Object.fromEntries(
              labelsOut.map((label) => [
                label,
                Array.from({ length: d }, (_, i) => `descriptor ${i} ${filler}`.slice(0, 300)),
              ]),
            ),
          }
        : {}),
    };
  });

const costly: fc.Arbitrary<FuzzRequest> = fc.oneof(
  json(
    'POST',
    fc.constant('/v1/classify'),
    fc.tuple(costlyImages, labels).map(([i, l]) => ({ images: i, labels: l })),
  ),
  json(
    'POST',
    fc.constant('/v1/embeddings'),
    costlyImages.map((i) => ({ images: i })),
  ),
  fc.record({
    method: fc.constant('POST'),
    path: fc.constant('/models/emoji-clip?candidate_labels=cat,dog'),
    type: fc.constant('image/jpeg'),
    body: progressiveBytes,
    auth: fc.constant<FuzzRequest['auth']>('key'),
  }),
  json(
    'POST',
    fc.constant('/v1/classify'),
    fc
      .tuple(fc.array(encodedImage, { minLength: 1, maxLength: 2 }), textHeavy)
      .map(([i, body]) => ({ images: i, ...body })),
  ),
  json(
    'PUT',
    id.map((i) => `/v1/classifiers/${i}`),
    textHeavy.map(({ method: _method, ...body }) => body),
  ),
);

// ---- the property ----------------------------------------------------------------------------

let server: RunningServer;
let baseline = 0;
const tally = new FuzzTally();

async function send(group: string, request: FuzzRequest): Promise<void> {
  const headers: Record<string, string> = {};
  if (request.type !== undefined) headers['Content-Type'] = request.type;
  if (request.auth === 'key') headers.Authorization = `Bearer ${TEST_KEYS[0]}`;
  if (request.auth === 'wrong') headers.Authorization = 'Bearer not-a-key';
  const started = performance.now();
  const response = await fetch(`${server.url}${request.path}`, {
    method: request.method,
    headers,
    ...(request.body === undefined || ['GET', 'HEAD'].includes(request.method)
      ? {}
      : { body: request.body as BodyInit }),
    signal: AbortSignal.timeout(TIME_BOUND_MS),
  });
  const text = await response.text();
  const elapsed = performance.now() - started;
  tally.durations.push(elapsed);
  const context = `${request.method} ${request.path} -> ${response.status} ${text.slice(0, 300)}`;
  expect(response.status, context).toBeLessThan(500);
  let outcome = String(response.status);
  if (response.status >= 400) {
    expect(response.headers.get('content-type'), context).toMatch(/^application\/problem\+json/);
    const problem = JSON.parse(text) as { code?: unknown; status?: unknown };
    expect(problem.status, context).toBe(response.status);
    expect(typeof problem.code, context).toBe('string');
    outcome = `${response.status} ${problem.code}`;
  }
  tally.count(group, outcome);
  expect(elapsed, context).toBeLessThan(TIME_BOUND_MS);
}

beforeAll(async () => {
  server = await startNodeServer({
    port: 0,
    // Room for every request fast-check sends at once when it shrinks; the limits are the tests'.
    vars: { ...TEST_VARS, DESCRY_MAX_PENDING_REQUESTS: '64' },
  });
  // Warm the model, the decoders and the stores, so that they are part of the baseline.
  for (const seed of seeds) {
    await send(WARM_UP, {
      method: 'POST',
      path: '/v1/classify',
      type: 'application/json',
      body: JSON.stringify({ images: [base64(seed)], labels: ['cat', 'dog'] }),
      auth: 'key',
    });
  }
  baseline = settledMemory();
}, 120_000);

afterAll(async () => {
  await server?.close();
  for (const line of tally.report('requests', SEED)) console.info(line);
});

describe('request fuzzing: answers below 500, problem+json errors, bounded time, memory back to baseline', () => {
  it(`answers ${RUNS.structured} structured requests to every route`, async () => {
    await fc.assert(
      fc.asyncProperty(structured, (request) => send('structured', request)),
      { numRuns: RUNS.structured, seed: SEED },
    );
  }, 3_600_000);

  it(`answers ${RUNS.hostile} hostile requests (any JSON, any string, any bytes, any type)`, async () => {
    await fc.assert(
      fc.asyncProperty(hostile, (request) => send('hostile', request)),
      { numRuns: RUNS.hostile, seed: SEED },
    );
  }, 3_600_000);

  it(`answers ${RUNS.costly} costly requests (progressive JPEGs, text-heavy bodies)`, async () => {
    await fc.assert(
      fc.asyncProperty(costly, (request) => send('costly', request)),
      { numRuns: RUNS.costly, seed: SEED },
    );
  }, 3_600_000);

  it('returns memory to near its baseline', () => {
    const settled = settledMemory();
    console.info(FuzzTally.memoryLine(baseline, settled, MEMORY_SLACK_BYTES));
    expect(settled - baseline).toBeLessThan(MEMORY_SLACK_BYTES);
  });
});
