/**
 * The OpenAPI document as clients use it: valid (swagger-parser), clean under Redocly's
 * recommended rules (the @redocly/cli binary, as CI would run it), complete enough to generate a
 * client (operationIds, servers, explicit security), and driven through such a client:
 * openapi-typescript types (committed, checked for drift here) with openapi-fetch.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startNodeServer } from '../../worker/hosts/node-server.node.js';
import { emojiFixtures } from './support/fixture-images.js';
import { OPENAPI_TYPES_FILE, openApiTypes } from './support/openapi-types.generate.js';
import type { paths } from './support/openapi-types.js';
import { base64 } from './support/synthetic-images.js';
import { TEST_KEYS, TEST_VARS } from './support/test-vars.js';

interface Operation {
  operationId?: string;
  security?: Array<Record<string, string[]>>;
}

interface OpenApiDocument {
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
}

let server: RunningServer;
let document: OpenApiDocument;
let scratch: string;

beforeAll(async () => {
  server = await startNodeServer({ port: 0, vars: TEST_VARS });
  document = (await (await fetch(`${server.url}/openapi.json`)).json()) as OpenApiDocument;
  scratch = await mkdtemp(join(tmpdir(), 'descry-openapi-'));
});

afterAll(async () => {
  await server?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function operations(): Array<[string, Operation]> {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]): [string, Operation] => [
      `${method.toUpperCase()} ${path}`,
      operation,
    ]),
  );
}

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document listing every route', async () => {
    await SwaggerParser.validate(structuredClone(document) as never);
    expect(
      operations()
        .map(([name]) => name)
        .sort(),
    ).toEqual(
      [
        'GET /healthz',
        'POST /v1/classify',
        'POST /v1/embeddings',
        'PUT /v1/classifiers/{id}',
        'GET /v1/classifiers/{id}',
        'DELETE /v1/classifiers/{id}',
        'POST /v1/classifiers/{id}/adapt',
        'POST /v1/classifiers/{id}/calibrate',
        'POST /v1/classifiers/{id}/describe',
        'POST /models/{model}',
        'POST /v1/jobs',
        'GET /v1/jobs',
        'GET /v1/jobs/{id}',
        'DELETE /v1/jobs/{id}',
        'GET /v1/jobs/{id}/results',
      ].sort(),
    );
  });

  it('names every operation, the server it came from, and the security of each operation', () => {
    const ids = operations().map(([, operation]) => operation.operationId);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(document.servers?.[0]?.url).toBe(server.url);
    for (const [name, operation] of operations()) {
      expect(Array.isArray(operation.security), name).toBe(true);
      // Health is open on purpose; everything else needs a key.
      expect(operation.security, name).toEqual(name === 'GET /healthz' ? [] : [{ bearerAuth: [] }]);
    }
  });

  it('has no errors or warnings under Redocly CLI recommended rules', async () => {
    const file = join(scratch, 'openapi.json');
    await writeFile(file, JSON.stringify(document));
    const cli = join(process.cwd(), 'node_modules', '.bin', 'redocly');
    const { stdout } = await promisify(execFile)(cli, ['lint', file, '--format=json'], {
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(stdout) as {
      totals: { errors: number; warnings: number };
      problems: Array<{ ruleId: string; message: string }>;
    };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('serves interactive docs', async () => {
    const response = await fetch(`${server.url}/docs`);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toContain('/openapi.json');
  });

  it('matches the committed generated client types (npm run openapi:types)', async () => {
    const committed = await readFile(OPENAPI_TYPES_FILE, 'utf8');
    expect(
      committed === (await openApiTypes(document)),
      'tests/worker/support/openapi-types.ts is stale: run `npm run openapi:types`',
    ).toBe(true);
  });
});

describe('a generated client (openapi-typescript + openapi-fetch)', () => {
  const client = () =>
    createClient<paths>({
      baseUrl: document.servers?.[0]?.url ?? '',
      headers: { Authorization: `Bearer ${TEST_KEYS[0]}` },
    });

  it('classifies, stores a classifier and reads it back', async () => {
    const { images, labels } = await emojiFixtures();
    const [image] = images;
    const classified = await client().POST('/v1/classify', {
      body: { images: [base64(image!.bytes)], labels, top_k: 2 },
    });
    expect(classified.response.status, JSON.stringify(classified.error)).toBe(200);
    expect(classified.data?.results[0]?.predictions.map((p) => p.label)[0]).toBe(image!.label);
    expect(classified.data?.results[0]?.predictions).toHaveLength(2);

    const put = await client().PUT('/v1/classifiers/{id}', {
      params: { path: { id: 'generated-client' } },
      body: { labels, templates: ['an emoji of {}.'] },
    });
    expect(put.response.status, JSON.stringify(put.error)).toBe(201);
    const got = await client().GET('/v1/classifiers/{id}', { params: { path: { id: 'generated-client' } } });
    expect(got.data?.labels).toEqual(labels);
    const byId = await client().POST('/v1/classify', {
      body: { images: [base64(image!.bytes)], classifier: 'generated-client' },
    });
    expect(byId.data?.results[0]?.predictions[0]?.label).toBe(image!.label);
  });

  it('calls the Hugging Face route and reads problems as typed errors', async () => {
    const { images, labels } = await emojiFixtures();
    const health = await client().GET('/healthz', { params: { query: { ready: '1' } } });
    const model = health.data?.model?.id ?? '';
    const ranked = await client().POST('/models/{model}', {
      params: { path: { model } },
      body: { inputs: { image: base64(images[0]!.bytes) }, parameters: { candidate_labels: labels } },
    });
    expect(ranked.data?.[0]?.label).toBe(images[0]!.label);
    const invalid = await client().POST('/v1/classify', {
      body: { images: [base64(images[0]!.bytes)], labels, top_k: 0 },
    });
    expect(invalid.response.status).toBe(422);
    expect(invalid.error?.code).toBe('invalid_input');
  });
});
