/**
 * The behaviour every host of the service must show, as one suite run against the Worker inside
 * workerd and against the Node server: same app, same config (support/test-vars.ts), real model.
 */
import { emojiSubclasses } from 'descry/models/emoji-clip';
import { encode as encodePng } from 'fast-png';
import { describe, expect, it } from 'vitest';
import type { ClassificationEngine } from '../../../worker/service/deps.js';
import {
  base64,
  GIF_BYTES,
  progressiveJpegHeader,
  solidJpeg,
  solidPng,
  truncatedPng,
} from './synthetic-images.js';
import { TEST_CORS_ORIGIN, TEST_KEYS, TEST_LIMITS } from './test-vars.js';

/** A labelled image the model is known to classify correctly. */
export interface LabelledImage {
  name: string;
  bytes: Uint8Array;
  label: string;
}

/** How the suite reaches a running service. */
export interface ServiceUnderTest {
  /** Send a request to `path` on the service. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Images with their labels, and a label set that contains every one of them. */
  fixtures: () => Promise<{ images: LabelledImage[]; labels: string[] }>;
  /** The SDK with the same model, in this process: what the service must agree with. */
  reference: () => Promise<ClassificationEngine>;
}

const AUTH = { Authorization: `Bearer ${TEST_KEYS[0]}` };
const JSON_AUTH = { ...AUTH, 'Content-Type': 'application/json' };

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance: string;
  errors?: { fieldErrors: Record<string, string[]> };
}

async function expectProblem(response: Response, status: number, code: string): Promise<Problem> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(text) as Problem;
  expect(problem).toMatchObject({ status, code, type: `urn:descry:problem:${code}` });
  expect(problem.title.length).toBeGreaterThan(0);
  expect(problem.detail.length).toBeGreaterThan(0);
  expect(problem.instance.startsWith('/')).toBe(true);
  return problem;
}

function form(entries: Array<[string, string | Blob, string?]>): FormData {
  const body = new FormData();
  for (const [name, value, filename] of entries) {
    if (typeof value === 'string') body.append(name, value);
    else body.append(name, value, filename ?? 'image.png');
  }
  return body;
}

function png(bytes: Uint8Array): Blob {
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' });
}

interface ClassifyBody {
  model: string;
  method: string;
  results: Array<{ predictions: Array<{ label: string; score: number; cosine: number }> }>;
  timings_ms: { total: number };
}

function expectSortedByScore(predictions: Array<{ score: number }>): void {
  for (let i = 1; i < predictions.length; i++) {
    expect(predictions[i - 1]!.score).toBeGreaterThanOrEqual(predictions[i]!.score);
  }
}

/** Register the suite against `service`. */
export function serviceContract(service: ServiceUnderTest): void {
  const post = (path: string, body: unknown, headers: Record<string, string> = JSON_AUTH) =>
    service.fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });

  describe('authentication', () => {
    it('answers 401 with a Bearer challenge without a key', async () => {
      const response = await service.fetch('/v1/classify', { method: 'POST' });
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      await expectProblem(response, 401, 'unauthorized');
    });

    it('answers 401 for a wrong key, a key prefix and a non-Bearer scheme', async () => {
      for (const authorization of [
        'Bearer nope',
        `Bearer ${TEST_KEYS[0].slice(0, -1)}`,
        `Basic ${TEST_KEYS[0]}`,
      ]) {
        const response = await service.fetch('/v1/embeddings', {
          method: 'POST',
          headers: { Authorization: authorization, 'Content-Type': 'application/json' },
          body: JSON.stringify({ texts: ['a cat'] }),
        });
        await expectProblem(response, 401, 'unauthorized');
      }
    });

    it('accepts every configured key', async () => {
      for (const key of TEST_KEYS) {
        const response = await service.fetch('/v1/embeddings', {
          method: 'POST',
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ texts: ['a cat'] }),
        });
        expect(response.status, await response.clone().text()).toBe(200);
      }
    });

    it('leaves health, the OpenAPI document and the docs open', async () => {
      for (const path of ['/healthz', '/openapi.json', '/docs']) {
        expect((await service.fetch(path)).status).toBe(200);
      }
    });
  });

  describe('limits', () => {
    it('answers 413 from Content-Length before reading the body', async () => {
      const body = new Uint8Array(TEST_LIMITS.maxBodyBytes + 1);
      const response = await service.fetch('/v1/classify', {
        method: 'POST',
        headers: { ...AUTH, 'Content-Type': 'application/json' },
        body,
      });
      await expectProblem(response, 413, 'payload_too_large');
    });

    it('answers 413 for a streamed body without Content-Length once it passes the limit', async () => {
      const chunk = new Uint8Array(64 * 1024).fill(0x20);
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent > TEST_LIMITS.maxBodyBytes * 2) controller.close();
          else {
            sent += chunk.length;
            controller.enqueue(chunk);
          }
        },
      });
      const response = await service.fetch('/v1/classify', {
        method: 'POST',
        headers: { ...AUTH, 'Content-Type': 'application/json' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      await expectProblem(response, 413, 'payload_too_large');
    });

    it('refuses more images than allowed with 422', async () => {
      const image = base64(solidPng(8, 8));
      const response = await post('/v1/classify', {
        images: Array.from({ length: TEST_LIMITS.maxImages + 1 }, () => image),
        labels: ['cat', 'dog'],
      });
      await expectProblem(response, 422, 'invalid_input');
    });

    it('refuses more labels than allowed with 422 labels_too_many', async () => {
      const response = await post('/v1/classify', {
        images: [base64(solidPng(8, 8))],
        labels: Array.from({ length: TEST_LIMITS.maxLabels + 1 }, (_, i) => `label ${i}`),
      });
      await expectProblem(response, 422, 'labels_too_many');
    });

    it('refuses an image with more pixels than allowed from its header, before decoding', async () => {
      const side = Math.ceil(Math.sqrt(TEST_LIMITS.maxImagePixels)) + 1;
      const response = await service.fetch('/v1/classify', {
        method: 'POST',
        headers: AUTH,
        body: form([
          ['image', png(solidPng(side, side))],
          ['labels', 'cat,dog'],
        ]),
      });
      const problem = await expectProblem(response, 422, 'image_too_large');
      expect(problem.detail).toContain(String(TEST_LIMITS.maxImagePixels));
    });

    it('counts a large JPEG at the reduced scale it is decoded at, as a phone photo needs', async () => {
      // 1024x1024 is four times the per-image limit; the model needs 2 x 48 px, so the JPEG is
      // decoded at 1/8 (128x128) and the budget counts that.
      const photo = solidJpeg(1024, 1024);
      expect(1024 * 1024).toBeGreaterThan(TEST_LIMITS.maxImagePixels);
      const response = await post('/v1/embeddings', { images: [base64(photo)] });
      expect(response.status, await response.clone().text()).toBe(200);
      // The same pixels as a PNG, which has no reduced decode, are refused from the header.
      const png = await post('/v1/embeddings', { images: [base64(solidPng(1024, 1024))] });
      const problem = await expectProblem(png, 422, 'image_too_large');
      expect(problem.detail).toContain('1024×1024');
    });

    it('refuses images whose headers total more pixels than a request may decode, before decoding', async () => {
      // Each image is within the per-image limit; four of them are not within the per-request one.
      const side = Math.floor(Math.sqrt(TEST_LIMITS.maxImagePixels));
      const image = base64(solidPng(side, side));
      const perRequest = Math.floor(TEST_LIMITS.maxRequestPixels / (side * side));
      const within = await post('/v1/embeddings', {
        images: Array.from({ length: perRequest }, () => image),
      });
      expect(within.status, await within.clone().text()).toBe(200);
      const over = await post('/v1/embeddings', {
        images: Array.from({ length: perRequest + 1 }, () => image),
      });
      const problem = await expectProblem(over, 422, 'image_too_large');
      expect(problem.detail).toContain(String(TEST_LIMITS.maxRequestPixels));
    });

    it('counts what a decoder will allocate: a progressive JPEG at full-size coefficients, from its header', async () => {
      // 4000×3000 decodes at 1/8 to 500×375 pixels (within the pixel limit) but its coefficients
      // take 39 MB; 1448×1088 progressive takes 5 MB.
      const refused = await post('/v1/classify', {
        images: [base64(progressiveJpegHeader(4000, 3000))],
        labels: ['cat', 'dog'],
      });
      const problem = await expectProblem(refused, 422, 'image_too_large');
      expect(problem.detail).toContain('DESCRY_MAX_IMAGE_DECODE_BYTES');
      // Within the budget the header is let through, and the decoder says what is wrong with the file.
      const decoded = await post('/v1/classify', {
        images: [base64(progressiveJpegHeader(1448, 1088))],
        labels: ['cat', 'dog'],
      });
      expect(decoded.status).toBe(422);
      expect(((await decoded.json()) as Problem).code).toBe('image_corrupt');
    });

    it('refuses text work over its token budget before encoding any of it', async () => {
      const template = `a photo of {}, ${'with many words in its description '.repeat(7)}`.slice(0, 290);
      const started = performance.now();
      const refused = await post('/v1/classify', {
        images: [base64(solidPng(8, 8))],
        labels: Array.from({ length: TEST_LIMITS.maxLabels }, (_, i) => `label ${i}`),
        templates: Array.from({ length: 32 }, (_, i) => `${i} ${template}`),
      });
      const problem = (await expectProblem(refused, 422, 'text_too_large')) as Problem & { limit?: number };
      expect(problem.limit).toBe(TEST_LIMITS.maxRequestPromptTokens);
      expect(performance.now() - started).toBeLessThan(5000);
      // The same labels with one short template fit.
      const fits = await post('/v1/classify', {
        images: [base64(solidPng(8, 8))],
        labels: Array.from({ length: TEST_LIMITS.maxLabels }, (_, i) => `label ${i}`),
      });
      expect(fits.status, await fits.clone().text()).toBe(200);
    });

    it('counts subclass prompts in the text budget', async () => {
      // 2 labels, but 1,400 subclasses of at least 3 tokens each: over the 4,096-token budget.
      const names = (label: string) => Array.from({ length: 700 }, (_, i) => `${label} kind ${i}`);
      const refused = await post('/v1/classify', {
        images: [base64(solidPng(8, 8))],
        labels: ['cat', 'dog'],
        method: 'subclasses',
        subclasses: { cat: names('cat'), dog: names('dog') },
      });
      const problem = (await expectProblem(refused, 422, 'text_too_large')) as Problem & { prompts?: number };
      expect(problem.prompts).toBe(2 + 1400);
    });

    it('refuses more texts than allowed in embeddings', async () => {
      const response = await post('/v1/embeddings', {
        texts: Array.from({ length: TEST_LIMITS.maxTexts + 1 }, (_, i) => `text ${i}`),
      });
      await expectProblem(response, 422, 'invalid_input');
    });
  });

  describe('errors', () => {
    it('answers 415 for a body type the route does not take, listing the types it takes', async () => {
      const cases: Array<[string, string[]]> = [
        ['/v1/classify', ['application/json', 'multipart/form-data']],
        [
          '/models/emoji-clip',
          ['application/json', 'image/png', 'image/jpeg', 'image/webp', 'application/octet-stream'],
        ],
      ];
      for (const [path, accepted] of cases) {
        const response = await service.fetch(path, {
          method: 'POST',
          headers: { ...AUTH, 'Content-Type': 'text/plain' },
          body: 'cat',
        });
        const problem = (await expectProblem(response, 415, 'unsupported_media_type')) as Problem & {
          accepted?: string[];
        };
        expect(problem.accepted).toEqual(accepted);
        expect(response.headers.get('accept-post')).toBe(accepted.join(', '));
      }
    });

    it('answers 415 for an image format the decoder does not support', async () => {
      const response = await post('/v1/classify', { images: [base64(GIF_BYTES)], labels: ['cat', 'dog'] });
      await expectProblem(response, 415, 'image_unsupported_format');
    });

    it('answers 422 for a corrupt image and 415 for bytes that are no image', async () => {
      const corrupt = await post('/v1/classify', {
        images: [base64(truncatedPng())],
        labels: ['cat', 'dog'],
      });
      await expectProblem(corrupt, 422, 'image_corrupt');
      const text = new TextEncoder().encode('definitely not an image');
      const unknown = await post('/v1/classify', { images: [base64(text)], labels: ['cat', 'dog'] });
      await expectProblem(unknown, 415, 'image_unsupported_format');
    });

    it('answers 422 for invalid base64 and for an empty image', async () => {
      await expectProblem(
        await post('/v1/classify', { images: ['%%%'], labels: ['a', 'b'] }),
        422,
        'invalid_input',
      );
      const empty = await service.fetch('/v1/classify', {
        method: 'POST',
        headers: AUTH,
        body: form([
          ['image', png(new Uint8Array())],
          ['labels', 'a,b'],
        ]),
      });
      await expectProblem(empty, 422, 'image_empty');
    });

    it('answers 422 with flattened field errors for invalid fields', async () => {
      const image = base64(solidPng(8, 8));
      const cases: Array<[unknown, string]> = [
        [{ labels: ['cat'] }, 'images'],
        [{ images: [image] }, 'labels'],
        [{ images: [image], labels: ['cat'], classifier: 'x' }, 'labels'],
        [{ images: [image], labels: ['cat'], method: 'magic' }, 'method'],
        [{ images: [image], labels: ['cat'], top_k: 0 }, 'top_k'],
        [{ images: [image], labels: ['cat'], templates: ['no placeholder'] }, 'templates'],
        [{ images: [image], labels: ['cat'], descriptors: { dog: ['floppy ears'] } }, 'descriptors'],
      ];
      for (const [body, field] of cases) {
        const problem = await expectProblem(await post('/v1/classify', body), 422, 'invalid_input');
        expect(Object.keys(problem.errors?.fieldErrors ?? {}), JSON.stringify(problem)).toContain(field);
      }
    });

    it('answers 400 for malformed JSON', async () => {
      const response = await service.fetch('/v1/classify', {
        method: 'POST',
        headers: JSON_AUTH,
        body: '{"images":',
      });
      await expectProblem(response, 400, 'malformed_body');
    });

    it('answers 404 for unknown routes and 405 with Allow for known paths', async () => {
      await expectProblem(await service.fetch('/v1/nothing', { headers: AUTH }), 404, 'route_not_found');
      const response = await service.fetch('/v1/classify', { headers: AUTH });
      expect(response.headers.get('allow')).toContain('POST');
      await expectProblem(response, 405, 'method_not_allowed');
    });

    it('answers 404, not 500, for a model name that is not valid percent-encoding', async () => {
      const response = await post('/models/%ZZ', {
        inputs: base64(solidPng(8, 8)),
        parameters: { candidate_labels: ['cat', 'dog'] },
      });
      await expectProblem(response, 404, 'not_found');
    });

    it('refuses text with a lone surrogate with 422 instead of altering it', async () => {
      // JSON can carry a lone surrogate (as an escape); UTF-8, and so every store, cannot.
      const lone = '\ud83d cat';
      const image = base64(solidPng(8, 8));
      const cases: Array<[string, unknown, string]> = [
        ['/v1/classify', { images: [image], labels: [lone, 'dog'] }, 'labels'],
        ['/v1/classify', { images: [image], labels: ['cat'], templates: [`${lone} {}`] }, 'templates'],
        ['/v1/embeddings', { texts: [lone] }, 'texts'],
        ['/models/x', { inputs: image, parameters: { candidate_labels: [lone] } }, 'parameters'],
      ];
      for (const [path, body, field] of cases) {
        const problem = await expectProblem(await post(path, body), 422, 'invalid_input');
        expect(Object.keys(problem.errors?.fieldErrors ?? {}), JSON.stringify(problem)).toContain(field);
        expect(problem.detail).toContain('lone surrogate');
      }
      const put = await service.fetch('/v1/classifiers/lone-surrogate', {
        method: 'PUT',
        headers: JSON_AUTH,
        body: JSON.stringify({ labels: ['dog', lone] }),
      });
      await expectProblem(put, 422, 'invalid_input');
      // Paired surrogates (any emoji) are ordinary text.
      const emoji = await post('/v1/classify', { images: [image], labels: ['🐱 cat', 'dog'] });
      expect(emoji.status, await emoji.clone().text()).toBe(200);
      const labels = ((await emoji.json()) as ClassifyBody).results[0]!.predictions.map((p) => p.label);
      expect(labels.sort()).toEqual(['dog', '🐱 cat']);
    });

    it('takes labels that are Object.prototype keys, with and without descriptors for them', async () => {
      // Found by tests/fuzz/requests.node.test.ts: "__proto__" read the prototype as its descriptor list.
      const labels = ['__proto__', 'constructor', 'dog'];
      // As JSON text: an object literal's "__proto__" would set the prototype instead of a key.
      for (const descriptors of ['{}', '{"dog":["has fur"]}', '{"__proto__":["odd"],"dog":["has fur"]}']) {
        const put = await service.fetch('/v1/classifiers/prototype-keys', {
          method: 'PUT',
          headers: JSON_AUTH,
          body: `{"labels":${JSON.stringify(labels)},"descriptors":${descriptors}}`,
        });
        expect(put.status, await put.clone().text()).toBeLessThan(300);
        const classify = await post('/v1/classify', {
          images: [base64(solidPng(8, 8))],
          classifier: 'prototype-keys',
          method: 'descriptions',
        });
        expect(classify.status, await classify.clone().text()).toBe(200);
        const predicted = ((await classify.json()) as ClassifyBody).results[0]!.predictions.map(
          (p) => p.label,
        );
        expect(predicted.sort()).toEqual([...labels].sort());
      }
    });

    it('answers 404 for an unknown classifier and 422 for an invalid id', async () => {
      await expectProblem(
        await service.fetch('/v1/classifiers/no-such-thing', { headers: AUTH }),
        404,
        'not_found',
      );
      await expectProblem(
        await service.fetch('/v1/classifiers/bad%20id!', { headers: AUTH }),
        422,
        'invalid_input',
      );
      const classify = await post('/v1/classify', {
        images: [base64(solidPng(8, 8))],
        classifier: 'no-such-thing',
      });
      await expectProblem(classify, 404, 'not_found');
    });
  });

  describe('classification', () => {
    it('classifies uploaded images by labels, one result per image in order, sorted by score', async () => {
      const fixtures = await service.fixtures();
      const labels = fixtures.labels;
      // Twice over, reversed the second time: more images than one inference batch, order kept.
      const images = [...fixtures.images, ...[...fixtures.images].reverse()];
      const body = form([['labels', labels.join(',')]]);
      for (const image of images) body.append('image', png(image.bytes), image.name);
      const response = await service.fetch('/v1/classify', { method: 'POST', headers: AUTH, body });
      expect(response.status, await response.clone().text()).toBe(200);
      const result = (await response.json()) as ClassifyBody;
      expect(result.method).toBe('zeroshot');
      expect(result.results).toHaveLength(images.length);
      // The same ranking and scores as the SDK in process: nothing lost or reordered on the way.
      const expected = await (await service.reference()).classify(
        images.map((image) => image.bytes),
        labels,
      );
      result.results.forEach((entry, i) => {
        const reference = expected[i]!.predictions;
        expect(entry.predictions.map((p) => p.label)).toEqual(reference.map((p) => p.label));
        entry.predictions.forEach((p, j) => {
          expect(p.score).toBeCloseTo(reference[j]!.score, 5);
          expect(p.cosine).toBeCloseTo(reference[j]!.cosine, 5);
        });
      });
      result.results.forEach((entry, i) => {
        expect(entry.predictions).toHaveLength(labels.length);
        expectSortedByScore(entry.predictions);
        expect(entry.predictions[0]?.label, images[i]!.name).toBe(images[i]!.label);
        const total = entry.predictions.reduce((sum, p) => sum + p.score, 0);
        expect(total).toBeCloseTo(1, 3);
      });
    });

    it('classifies base64 and data-URL images from JSON with top_k and templates', async () => {
      const { images, labels } = await service.fixtures();
      const [first, second] = images;
      const response = await post('/v1/classify', {
        images: [base64(first!.bytes), `data:image/png;base64,${base64(second!.bytes)}`],
        labels,
        top_k: 2,
        templates: ['an emoji of {}.', 'a {} emoji'],
      });
      expect(response.status, await response.clone().text()).toBe(200);
      const result = (await response.json()) as ClassifyBody;
      expect(result.results.map((entry) => entry.predictions.length)).toEqual([2, 2]);
      expect(result.results[0]?.predictions[0]?.label).toBe(first!.label);
      expect(result.results[1]?.predictions[0]?.label).toBe(second!.label);
    });

    it('degrades to zero-shot, and says so, when a method lacks what it needs', async () => {
      const { images, labels } = await service.fixtures();
      for (const method of ['tfup', 'descriptions']) {
        const response = await post('/v1/classify', { images: [base64(images[0]!.bytes)], labels, method });
        expect(response.status, await response.clone().text()).toBe(200);
        const body = (await response.json()) as ClassifyBody & {
          degraded?: { requested: string; used: string };
        };
        expect(body.method).toBe(method);
        expect(body.degraded).toMatchObject({ requested: method, used: 'zeroshot' });
      }
    });

    it('classifies by inline descriptors with evidence', async () => {
      const { images, labels } = await service.fixtures();
      const descriptors = Object.fromEntries(
        labels.map((label) => [label, [`the shape of ${label}`, 'bright colours']]),
      );
      const response = await post('/v1/classify', {
        images: [base64(images[0]!.bytes)],
        labels,
        descriptors,
        method: 'descriptions',
      });
      expect(response.status, await response.clone().text()).toBe(200);
      const body = (await response.json()) as {
        degraded?: unknown;
        results: Array<{ predictions: Array<{ label: string; evidence?: Array<{ descriptor: string }> }> }>;
      };
      expect(body.degraded).toBeUndefined();
      const top = body.results[0]!.predictions[0]!;
      expect(top.evidence?.map((e) => e.descriptor).join(' ')).toContain(top.label);
    });

    it('answers the Hugging Face zero-shot-image-classification task', async () => {
      const { images, labels } = await service.fixtures();
      const health = (await (await service.fetch('/healthz?ready=1')).json()) as { model: { id: string } };
      const response = await post(`/models/${encodeURIComponent(health.model.id)}`, {
        inputs: base64(images[0]!.bytes),
        parameters: { candidate_labels: labels, hypothesis_template: 'an emoji of {}.' },
      });
      expect(response.status, await response.clone().text()).toBe(200);
      const ranked = (await response.json()) as Array<{ label: string; score: number }>;
      expect(ranked).toHaveLength(labels.length);
      expect(Object.keys(ranked[0]!).sort()).toEqual(['label', 'score']);
      expect(ranked[0]?.label).toBe(images[0]!.label);
      expectSortedByScore(ranked);
      const commaSeparated = await post(`/models/${encodeURIComponent(health.model.id)}`, {
        inputs: `data:image/png;base64,${base64(images[0]!.bytes)}`,
        parameters: { candidate_labels: labels.join(', ') },
      });
      expect(((await commaSeparated.json()) as Array<{ label: string }>).map((r) => r.label).sort()).toEqual(
        [...labels].sort(),
      );
      const other = await post('/models/some-other-model', {
        inputs: base64(images[0]!.bytes),
        parameters: { candidate_labels: labels },
      });
      await expectProblem(other, 404, 'not_found');
    });

    it('takes the Hugging Face image as a string, as { image }, or as the raw body', async () => {
      const { images, labels } = await service.fixtures();
      const [image] = images;
      const health = (await (await service.fetch('/healthz?ready=1')).json()) as { model: { id: string } };
      const path = `/models/${encodeURIComponent(health.model.id)}`;
      const expected = (await (await service.reference()).classify([image!.bytes], labels))[0]!.predictions;
      const answers = [
        await post(path, { inputs: base64(image!.bytes), parameters: { candidate_labels: labels } }),
        await post(path, {
          inputs: { image: base64(image!.bytes) },
          parameters: { candidate_labels: labels },
        }),
        await service.fetch(`${path}?candidate_labels=${encodeURIComponent(labels.join(','))}`, {
          method: 'POST',
          headers: { ...AUTH, 'Content-Type': 'image/png' },
          body: image!.bytes as Uint8Array<ArrayBuffer>,
        }),
        await service.fetch(
          `${path}?${labels.map((l) => `candidate_labels=${encodeURIComponent(l)}`).join('&')}`,
          {
            method: 'POST',
            headers: { ...AUTH, 'Content-Type': 'application/octet-stream' },
            body: image!.bytes as Uint8Array<ArrayBuffer>,
          },
        ),
      ];
      for (const answer of answers) {
        expect(answer.status, await answer.clone().text()).toBe(200);
        const ranked = (await answer.json()) as Array<{ label: string; score: number }>;
        expect(ranked.map((r) => r.label)).toEqual(expected.map((p) => p.label));
        for (const [i, r] of ranked.entries()) expect(r.score).toBeCloseTo(expected[i]!.score, 5);
      }
      const noLabels = await service.fetch(path, {
        method: 'POST',
        headers: { ...AUTH, 'Content-Type': 'image/png' },
        body: image!.bytes as Uint8Array<ArrayBuffer>,
      });
      await expectProblem(noLabels, 422, 'invalid_input');
      const gif = await service.fetch(`${path}?candidate_labels=a,b`, {
        method: 'POST',
        headers: { ...AUTH, 'Content-Type': 'image/png' },
        body: GIF_BYTES as Uint8Array<ArrayBuffer>,
      });
      await expectProblem(gif, 415, 'image_unsupported_format');
      const text = await service.fetch(`${path}?candidate_labels=a,b`, {
        method: 'POST',
        headers: { ...AUTH, 'Content-Type': 'text/plain' },
        body: 'cat',
      });
      await expectProblem(text, 415, 'unsupported_media_type');
    });
  });

  describe('classifiers', () => {
    it('creates, replaces, reads, uses and deletes a stored classifier', async () => {
      const { images, labels } = await service.fixtures();
      const id = `lifecycle-${crypto.randomUUID().slice(0, 8)}`;
      const put = (spec: unknown) =>
        service.fetch(`/v1/classifiers/${id}`, {
          method: 'PUT',
          headers: JSON_AUTH,
          body: JSON.stringify(spec),
        });
      const created = await put({ labels: labels.slice(0, 2) });
      expect(created.status, await created.clone().text()).toBe(201);
      const replaced = await put({ labels, templates: ['an emoji of {}.'] });
      expect(replaced.status).toBe(200);
      const info = (await (await service.fetch(`/v1/classifiers/${id}`, { headers: AUTH })).json()) as {
        labels: string[];
        templates: string[];
        fingerprint: string;
      };
      expect(info.labels).toEqual(labels);
      expect(info.templates).toEqual(['an emoji of {}.']);
      const classified = await post('/v1/classify', { images: [base64(images[0]!.bytes)], classifier: id });
      expect(classified.status, await classified.clone().text()).toBe(200);
      const result = (await classified.json()) as ClassifyBody;
      expect(result.results[0]?.predictions[0]?.label).toBe(images[0]!.label);
      expect((await service.fetch(`/v1/classifiers/${id}`, { method: 'DELETE', headers: AUTH })).status).toBe(
        204,
      );
      await expectProblem(await service.fetch(`/v1/classifiers/${id}`, { headers: AUTH }), 404, 'not_found');
      await expectProblem(
        await service.fetch(`/v1/classifiers/${id}`, { method: 'DELETE', headers: AUTH }),
        404,
        'not_found',
      );
    });

    it('adds concurrent adapt calls without losing any image', async () => {
      const { images, labels } = await service.fixtures();
      const id = `adapt-${crypto.randomUUID().slice(0, 8)}`;
      const created = await service.fetch(`/v1/classifiers/${id}`, {
        method: 'PUT',
        headers: JSON_AUTH,
        body: JSON.stringify({ labels }),
      });
      expect(created.status).toBe(201);
      const calls = 6;
      const answers = await Promise.all(
        Array.from({ length: calls }, (_, i) =>
          post(`/v1/classifiers/${id}/adapt`, { images: [base64(images[i % images.length]!.bytes)] }),
        ),
      );
      for (const answer of answers) expect(answer.status, await answer.clone().text()).toBe(200);
      const sizes = (await Promise.all(answers.map((a) => a.json() as Promise<{ size: number }>))).map(
        (a) => a.size,
      );
      // Every call saw its own write on top of the earlier ones: sizes are exactly 1..calls.
      expect(sizes.sort((a, b) => a - b)).toEqual(Array.from({ length: calls }, (_, i) => i + 1));
      const tfup = await post('/v1/classify', {
        images: [base64(images[0]!.bytes)],
        classifier: id,
        method: 'tfup',
      });
      expect(tfup.status, await tfup.clone().text()).toBe(200);
      expect(((await tfup.json()) as ClassifyBody).results[0]?.predictions[0]?.label).toBe(images[0]!.label);
      await expectProblem(
        await post('/v1/classifiers/missing-one/adapt', { images: [base64(images[0]!.bytes)] }),
        404,
        'not_found',
      );
    });
  });

  describe('subclasses and calibration', () => {
    interface SetBody {
      results: Array<{
        predictions: Array<{ label: string; score: number; evidence?: Array<{ descriptor: string }> }>;
        degraded?: unknown;
        set?: { labels: string[]; abstain: boolean; reason?: string; alpha: number };
      }>;
    }
    const put = (id: string, spec: unknown) =>
      service.fetch(`/v1/classifiers/${id}`, {
        method: 'PUT',
        headers: JSON_AUTH,
        body: JSON.stringify(spec),
      });
    const unique = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}`;

    /** The fixtures' subcategories, each with some of its member emoji (the image's own among them). */
    async function subcategories() {
      const { images } = await service.fixtures();
      const truth = images.map(
        (image) =>
          Object.entries(emojiSubclasses.subcategories).find(([, names]) => names.includes(image.label))![0],
      );
      const labels = [...new Set(truth)];
      const subclasses = Object.fromEntries(
        labels.map((label) => {
          const own = images.filter((_, i) => truth[i] === label).map((image) => image.label);
          const others = emojiSubclasses.subcategories[label]!.filter((name) => !own.includes(name));
          return [label, [...own, ...others.slice(0, 12)]];
        }),
      );
      return { images, truth, labels, subclasses };
    }

    it('classifies by subclasses, inline and stored, as the SDK does, naming the subclass that matched', async () => {
      const { images, truth, labels, subclasses } = await subcategories();
      const inline = await post('/v1/classify', {
        images: images.map((image) => base64(image.bytes)),
        labels,
        subclasses,
        method: 'subclasses',
      });
      expect(inline.status, await inline.clone().text()).toBe(200);
      const body = (await inline.json()) as SetBody & { degraded?: unknown };
      expect(body.degraded).toBeUndefined();
      const expected = await (await service.reference()).classify(
        images.map((image) => image.bytes),
        labels,
        { method: 'subclasses', subclasses },
      );
      body.results.forEach((result, i) => {
        expect(result.predictions[0]!.label).toBe(truth[i]);
        result.predictions.forEach((p, j) => {
          expect(p.label).toBe(expected[i]!.predictions[j]!.label);
          expect(p.score).toBeCloseTo(expected[i]!.predictions[j]!.score, 5);
          expect(p.evidence?.[0]?.descriptor).toBe(expected[i]!.predictions[j]!.evidence![0]!.descriptor);
          expect(subclasses[p.label]).toContain(p.evidence![0]!.descriptor);
        });
      });
      const id = unique('subclassed');
      const created = await put(id, { labels, subclasses });
      expect(created.status, await created.clone().text()).toBe(201);
      expect(((await created.json()) as { subclasses: unknown }).subclasses).toEqual(subclasses);
      const form = new FormData();
      form.append('image', png(images[0]!.bytes), images[0]!.name);
      form.append('classifier', id);
      form.append('method', 'subclasses');
      const stored = await service.fetch('/v1/classify', { method: 'POST', headers: AUTH, body: form });
      expect(stored.status, await stored.clone().text()).toBe(200);
      const top = ((await stored.json()) as SetBody).results[0]!;
      expect(top.degraded).toBeUndefined();
      expect(top.predictions[0]!.label).toBe(truth[0]);
      expect(top.predictions[0]!.evidence?.[0]?.descriptor).toBe(
        body.results[0]!.predictions[0]!.evidence![0]!.descriptor,
      );
    });

    it('refuses bad subclasses with 422: unknown labels, empty lists, repeats, and with a stored classifier', async () => {
      const { images, labels } = await service.fixtures();
      const [a, b] = labels as [string, string];
      const image = base64(images[0]!.bytes);
      for (const subclasses of [
        { zebra: ['stripes'] },
        { [a]: [] },
        { [a]: ['x', 'x'] },
        { [a]: ['x'], [b]: ['x'] },
      ]) {
        const classify = await post('/v1/classify', {
          images: [image],
          labels,
          subclasses,
          method: 'subclasses',
        });
        await expectProblem(classify, 422, 'invalid_input');
        await expectProblem(
          await put(unique('bad-subclasses'), { labels, subclasses }),
          422,
          'invalid_input',
        );
      }
      const id = unique('plain');
      expect((await put(id, { labels })).status).toBe(201);
      await expectProblem(
        await post('/v1/classify', { images: [image], classifier: id, subclasses: { [a]: ['x'] } }),
        422,
        'invalid_input',
      );
    });

    it('calibrates a stored classifier over HTTP, and classify returns the sets the SDK computes', async () => {
      const { images, labels } = await service.fixtures();
      const id = unique('calibrated');
      expect((await put(id, { labels })).status).toBe(201);
      const labelled = [...images, ...images];
      const calibrate = await post(`/v1/classifiers/${id}/calibrate`, {
        images: labelled.map((image) => base64(image.bytes)),
        image_labels: labelled.map((image) => image.label),
        alpha: 0.2,
      });
      expect(calibrate.status, await calibrate.clone().text()).toBe(200);
      const info = (await calibrate.json()) as {
        calibration: { alpha: number; method: string; score: string; images: number; threshold: number };
      };
      expect(info.calibration).toMatchObject({ alpha: 0.2, method: 'zeroshot', score: 'lac', images: 8 });
      const got = (await (
        await service.fetch(`/v1/classifiers/${id}`, { headers: AUTH })
      ).json()) as typeof info;
      expect(got.calibration).toEqual(info.calibration);

      // The SDK in process, on the classifier as the service stores it (float16), calibrated alike.
      const reference = await service.reference();
      const compiled = reference.loadClassifier((await reference.compile({ labels })).toBytes());
      const sdk = await reference.calibrate(
        compiled,
        labelled.map((image) => ({ image: image.bytes, label: image.label })),
        { alpha: 0.2 },
      );
      expect(info.calibration.threshold).toBeCloseTo(sdk.calibration!.threshold, 5);
      const expected = await reference.classify(
        images.map((image) => image.bytes),
        sdk,
      );

      const classify = await post('/v1/classify', {
        images: images.map((image) => base64(image.bytes)),
        classifier: id,
        top_k: 1,
      });
      expect(classify.status, await classify.clone().text()).toBe(200);
      const body = (await classify.json()) as SetBody;
      const full = (await (
        await post('/v1/classify', { images: images.map((image) => base64(image.bytes)), classifier: id })
      ).json()) as SetBody;
      body.results.forEach((result, i) => {
        expect(result.predictions).toHaveLength(1);
        expect(result.set).toEqual(expected[i]!.set);
        // LAC: every label whose 1 − score is within q̂, from all labels although top_k is 1.
        const within = full.results[i]!.predictions.filter((p) => 1 - p.score <= info.calibration.threshold);
        expect(result.set!.labels).toEqual(within.map((p) => p.label));
      });

      const capped = (await (
        await post('/v1/classify', {
          images: images.map((image) => base64(image.bytes)),
          classifier: id,
          max_set_size: 1,
        })
      ).json()) as SetBody;
      capped.results.forEach((result, i) => {
        const size = body.results[i]!.set!.labels.length;
        expect(result.set!.abstain).toBe(size !== 1);
        if (size > 1) expect(result.set!.reason).toBe('too_large');
      });

      // Multipart images and embedding rows calibrate alike.
      const form = new FormData();
      for (const image of labelled) {
        form.append('image', png(image.bytes), image.name);
        form.append('image_labels', image.label);
      }
      form.append('alpha', '0.2');
      const multipart = await service.fetch(`/v1/classifiers/${id}/calibrate`, {
        method: 'POST',
        headers: AUTH,
        body: form,
      });
      expect(multipart.status, await multipart.clone().text()).toBe(200);
      expect(((await multipart.json()) as typeof info).calibration.threshold).toBeCloseTo(
        info.calibration.threshold,
        6,
      );
      const embedded = (await (
        await post('/v1/embeddings', { images: labelled.map((image) => base64(image.bytes)) })
      ).json()) as { images: number[][] };
      const fromEmbeddings = await post(`/v1/classifiers/${id}/calibrate`, {
        embeddings: embedded.images,
        image_labels: labelled.map((image) => image.label),
        alpha: 0.2,
      });
      expect(fromEmbeddings.status, await fromEmbeddings.clone().text()).toBe(200);
      expect(((await fromEmbeddings.json()) as typeof info).calibration.threshold).toBeCloseTo(
        info.calibration.threshold,
        5,
      );

      // Replacing the classifier drops its calibration: sets asked for are then refused.
      expect((await put(id, { labels })).status).toBe(200);
      await expectProblem(
        await post('/v1/classify', { images: [base64(images[0]!.bytes)], classifier: id, max_set_size: 2 }),
        422,
        'invalid_input',
      );
    });

    it('refuses calibrations it cannot fit, and sets it cannot give, with typed 4xx', async () => {
      const { images, labels } = await service.fixtures();
      const id = unique('uncalibrated');
      expect((await put(id, { labels })).status).toBe(201);
      const eight = [...images, ...images];
      const body = (extra: Record<string, unknown>) => ({
        images: eight.map((image) => base64(image.bytes)),
        image_labels: eight.map((image) => image.label),
        alpha: 0.2,
        ...extra,
      });
      const tooFew = await expectProblem(
        await post(`/v1/classifiers/${id}/calibrate`, body({ alpha: 0.05 })),
        422,
        'calibration_too_small',
      );
      expect(tooFew.detail).toContain('at least 19');
      const wrongLabel = await expectProblem(
        await post(
          `/v1/classifiers/${id}/calibrate`,
          body({ image_labels: eight.map((_, i) => (i ? eight[i]!.label : 'zebra')) }),
        ),
        422,
        'invalid_input',
      );
      expect(wrongLabel.detail).toContain('zebra');
      await expectProblem(
        await post(`/v1/classifiers/${id}/calibrate`, body({ image_labels: [labels[0]] })),
        422,
        'invalid_input',
      );
      await expectProblem(
        await post(`/v1/classifiers/${id}/calibrate`, body({ method: 'subclasses' })),
        422,
        'invalid_input',
      );
      await expectProblem(
        await post('/v1/classifiers/no-such-classifier/calibrate', body({})),
        404,
        'not_found',
      );
      const image = base64(images[0]!.bytes);
      for (const target of [{ classifier: id }, { labels }]) {
        await expectProblem(
          await post('/v1/classify', { images: [image], ...target, max_set_size: 3 }),
          422,
          'invalid_input',
        );
      }
    });
  });

  describe('transparent images', () => {
    /** Left half opaque red, right half fully transparent with black stored under it. */
    function halfTransparent(): Uint8Array {
      const size = 32;
      const data = new Uint8Array(size * size * 4);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++)
          data.set(x < size / 2 ? [220, 30, 30, 255] : [0, 0, 0, 0], (y * size + x) * 4);
      }
      return encodePng({ width: size, height: size, data, channels: 4, depth: 8 });
    }

    it('composites onto the background asked for, as the SDK does, on every image route', async () => {
      const image = halfTransparent();
      const reference = await service.reference();
      const vectors: Record<string, number[]> = {};
      // The SDK's grammar: names, '#rgb', '#rrggbb' and [r, g, b] (the same colour three ways).
      const backgrounds = [undefined, 'white', 'black', 'drop', '#3366cc', '#36c', [51, 102, 204]] as const;
      for (const background of backgrounds) {
        const response = await post('/v1/embeddings', {
          images: [base64(image)],
          ...(background ? { background } : {}),
        });
        expect(response.status, await response.clone().text()).toBe(200);
        const [vector] = ((await response.json()) as { images: number[][] }).images;
        const expected = await reference.embedImages([image], background ? { background } : {});
        for (const [i, value] of vector!.entries()) expect(value).toBeCloseTo(expected.data[i]!, 5);
        vectors[String(background ?? 'default')] = vector!;
      }
      // The default is white, and the choice matters for a transparent image.
      expect(vectors.default).toEqual(vectors.white);
      expect(vectors.drop).not.toEqual(vectors.white);
      expect(vectors.black).toEqual(vectors.drop); // black is what this file stores under alpha 0
      expect(vectors['#36c']).toEqual(vectors['#3366cc']);
      expect(vectors['51,102,204']).toEqual(vectors['#3366cc']);

      // Multipart classify, with the form's grammar.
      const { labels } = await service.fixtures();
      for (const background of ['drop', '[51,102,204]']) {
        const form = new FormData();
        form.append('image', png(image));
        form.append('labels', labels.join(','));
        form.append('background', background);
        const classified = await service.fetch('/v1/classify', { method: 'POST', headers: AUTH, body: form });
        expect(classified.status, await classified.clone().text()).toBe(200);
        const sdk = background === 'drop' ? 'drop' : ([51, 102, 204] as const);
        const [expected] = await reference.classify([image], labels, { background: sdk });
        const predictions = ((await classified.json()) as ClassifyBody).results[0]!.predictions;
        expect(predictions.map((p) => p.label)).toEqual(expected!.predictions.map((p) => p.label));
        for (const [i, p] of predictions.entries())
          expect(p.score).toBeCloseTo(expected!.predictions[i]!.score, 5);
      }

      // The Hugging Face route, on the served model.
      const model = ((await (await service.fetch('/healthz?ready=1')).json()) as { model: { id: string } })
        .model.id;
      const hf = await post(`/models/${encodeURIComponent(model)}`, {
        inputs: base64(image),
        parameters: { candidate_labels: labels, background: 'black' },
      });
      expect(hf.status, await hf.clone().text()).toBe(200);
      const [black] = await reference.classify([image], labels, { background: 'black' });
      const hfScores = (await hf.json()) as Array<{ label: string; score: number }>;
      expect(hfScores.map((p) => p.label)).toEqual(black!.predictions.map((p) => p.label));

      // Adapt: the TFUP cache grown from the image on 'drop' is the SDK's, and differs from 'white'.
      const stored = reference.loadClassifier((await reference.compile({ labels })).toBytes());
      const tfupScores: Record<string, number[]> = {};
      for (const background of ['drop', 'white'] as const) {
        const id = `background-${background}`;
        expect(
          (
            await service.fetch(`/v1/classifiers/${id}`, {
              method: 'PUT',
              headers: JSON_AUTH,
              body: JSON.stringify({ labels }),
            })
          ).status,
        ).toBe(201);
        const adapted = await post(`/v1/classifiers/${id}/adapt`, { images: [base64(image)], background });
        expect(adapted.status, await adapted.clone().text()).toBe(200);
        const classified = await post('/v1/classify', {
          images: [base64(image)],
          classifier: id,
          method: 'tfup',
          background: 'drop',
        });
        expect(classified.status, await classified.clone().text()).toBe(200);
        const body = (await classified.json()) as ClassifyBody & { degraded?: unknown };
        expect(body.degraded).toBeUndefined();
        const cache = await reference.adapt(stored, [image], { background });
        const [expected] = await reference.classify([image], stored, {
          method: 'tfup',
          tfup: { cache },
          background: 'drop',
        });
        const byLabel = new Map(body.results[0]!.predictions.map((p) => [p.label, p.score]));
        tfupScores[background] = expected!.predictions.map((p) => byLabel.get(p.label)!);
        for (const [i, p] of expected!.predictions.entries())
          expect(tfupScores[background]![i]).toBeCloseTo(p.score, 4);
        await service.fetch(`/v1/classifiers/${id}`, { method: 'DELETE', headers: AUTH });
      }
      expect(tfupScores.drop).not.toEqual(tfupScores.white);
    });

    it("refuses a background outside the SDK's grammar with 422", async () => {
      for (const background of ['grey', '#ffff', '#12345g', 'WHITE', [256, 0, 0], [1, 2]]) {
        const problem = await expectProblem(
          await post('/v1/classify', { images: [base64(solidPng(8, 8))], labels: ['a', 'b'], background }),
          422,
          'invalid_input',
        );
        expect(Object.keys(problem.errors?.fieldErrors ?? {})).toContain('background');
      }
    });
  });

  describe('embeddings', () => {
    it('embeds images and texts into unit vectors of one dimension', async () => {
      const { images } = await service.fixtures();
      const response = await post('/v1/embeddings', {
        images: [base64(images[0]!.bytes)],
        texts: ['a cat', 'a dog'],
      });
      expect(response.status, await response.clone().text()).toBe(200);
      const body = (await response.json()) as { dim: number; images: number[][]; texts: number[][] };
      expect(body.images).toHaveLength(1);
      expect(body.texts).toHaveLength(2);
      for (const vector of [...body.images, ...body.texts]) {
        expect(vector).toHaveLength(body.dim);
        expect(Math.hypot(...vector)).toBeCloseTo(1, 3);
      }
      await expectProblem(await post('/v1/embeddings', {}), 422, 'invalid_input');
    });

    it('embeds uploaded images and text fields from multipart', async () => {
      const { images } = await service.fixtures();
      const response = await service.fetch('/v1/embeddings', {
        method: 'POST',
        headers: AUTH,
        body: form([
          ['image', png(images[0]!.bytes)],
          ['image', png(images[1]!.bytes)],
          ['text', 'a cat'],
        ]),
      });
      expect(response.status, await response.clone().text()).toBe(200);
      const body = (await response.json()) as { images: number[][]; texts: number[][] };
      expect(body.images).toHaveLength(2);
      expect(body.texts).toHaveLength(1);
    });
  });

  describe('service', () => {
    it('reports health with the model once ready', async () => {
      const response = await service.fetch('/healthz?ready=1');
      expect(response.status).toBe(200);
      const health = (await response.json()) as {
        ready: boolean;
        model: { id: string; fingerprint: string };
      };
      expect(health.ready).toBe(true);
      expect(health.model.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    });

    it('answers CORS preflights for the configured origin only', async () => {
      const preflight = await service.fetch('/v1/classify', {
        method: 'OPTIONS',
        headers: {
          Origin: TEST_CORS_ORIGIN,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization,content-type',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(TEST_CORS_ORIGIN);
      const other = await service.fetch('/healthz', { headers: { Origin: 'https://evil.example' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('tags every answer with a request id', async () => {
      const response = await service.fetch('/v1/nothing');
      expect(response.headers.get('x-request-id')).toMatch(/.{8,}/);
    });
  });
}
