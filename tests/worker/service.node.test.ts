/**
 * The service on Node: a real @hono/node-server on 127.0.0.1, the real SDK and embedded model,
 * file stores, and an OpenAI-compatible LLM served over HTTP on 127.0.0.1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startNodeServer } from '../../worker/hosts/node-server.node.js';
import { type OpenAIServer, startOpenAIServer } from '../support/openai-server.js';
import { emojiFixtures } from './support/fixture-images.js';
import { nodeReferenceEngine } from './support/reference-engine.node.js';
import { serviceContract } from './support/service-contract.js';
import { TEST_KEYS, TEST_VARS } from './support/test-vars.js';

let server: RunningServer;
let llm: OpenAIServer;
let dataDir: string;

/** Descriptors and pair descriptions that name the classes, so a test can see where they came from. */
function answer(prompt: string) {
  const pair = /photos of "([^"]+)" apart from photos of "([^"]+)"/.exec(prompt);
  if (pair) {
    const [, a, b] = pair as unknown as [string, string, string];
    return {
      content: JSON.stringify({
        attributes: [
          {
            attr_type: 'outline',
            descriptions: {
              [a]: `a photo of ${a}, with its outline`,
              [b]: `a photo of ${b}, with its outline`,
            },
          },
        ],
      }),
    };
  }
  const kinds = /types of the following[^:]*:\n\n>(.+):$/.exec(prompt);
  if (kinds) return { content: `${kinds[1]} in red, ${kinds[1]} in blue, small ${kinds[1]}` };
  const label = /distinguishing an? (.+) in a photo\?/.exec(prompt)?.[1] ?? 'thing';
  return { content: `- the typical shape of ${label}\n- the usual colours of ${label}` };
}

beforeAll(async () => {
  llm = await startOpenAIServer((request) => answer(request.prompt));
  dataDir = await mkdtemp(join(tmpdir(), 'descry-worker-test-'));
  server = await startNodeServer({
    port: 0,
    dataDir,
    vars: {
      ...TEST_VARS,
      DESCRY_LLM: 'openai-compatible',
      DESCRY_LLM_BASE_URL: llm.baseURL,
      DESCRY_LLM_MODEL: 'test-model',
      DESCRY_LLM_API_KEY: 'llm-secret',
    },
  });
});

afterAll(async () => {
  await server?.close();
  await llm?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

serviceContract({
  fetch: (path, init) => fetch(`${server.url}${path}`, init),
  fixtures: emojiFixtures,
  reference: nodeReferenceEngine,
});

const AUTH = { Authorization: `Bearer ${TEST_KEYS[0]}`, 'Content-Type': 'application/json' };

describe('oversized bodies on Node', () => {
  /** Send `body` whole, as Python's http.client does, and only then read the answer. */
  function sendWholeThenRead(url: string, body: Uint8Array): Promise<string> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname);
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.write(
        `POST /v1/classify HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${TEST_KEYS[0]}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      );
      // Paused until the whole body is out: the answer must still be there to read.
      socket.pause();
      socket.write(body, () => {
        socket.resume();
      });
    });
  }

  it('answers 413 to a client that sends its whole body before reading, without Expect', async () => {
    const answer = await sendWholeThenRead(server.url, new Uint8Array(32 * 1024 * 1024).fill(0x20));
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('"code":"payload_too_large"');
  });
});

describe('describe with an OpenAI-compatible LLM', () => {
  it('generates descriptors and pair descriptions once, then answers from the cache', async () => {
    const { images, labels } = await emojiFixtures();
    const chosen = labels.slice(0, 3);
    const id = 'described';
    const put = await fetch(`${server.url}/v1/classifiers/${id}`, {
      method: 'PUT',
      headers: AUTH,
      body: JSON.stringify({ labels: chosen }),
    });
    expect(put.status).toBe(201);
    const before = llm.requests.length;
    const first = await fetch(`${server.url}/v1/classifiers/${id}/describe`, {
      method: 'POST',
      headers: AUTH,
    });
    expect(first.status, await first.clone().text()).toBe(200);
    const described = (await first.json()) as {
      classifier: { descriptors: Record<string, string[]> };
      pairs: number;
      cached: boolean;
    };
    expect(described.cached).toBe(false);
    expect(described.pairs).toBe(3);
    for (const label of chosen) expect(described.classifier.descriptors[label]?.join(' ')).toContain(label);
    // The LLM received the secret key, and one call per label and per pair.
    expect(llm.requests.length - before).toBe(chosen.length + 3);
    expect(llm.requests.at(-1)?.headers.authorization).toBe('Bearer llm-secret');

    const again = await fetch(`${server.url}/v1/classifiers/${id}/describe`, {
      method: 'POST',
      headers: AUTH,
    });
    expect(((await again.json()) as { cached: boolean }).cached).toBe(true);
    expect(llm.requests.length - before).toBe(chosen.length + 3);

    for (const method of ['descriptions', 'fudd']) {
      const response = await fetch(`${server.url}/v1/classify`, {
        method: 'POST',
        headers: AUTH,
        body: JSON.stringify({
          images: [Buffer.from(images[0]!.bytes).toString('base64')],
          classifier: id,
          method,
        }),
      });
      expect(response.status, await response.clone().text()).toBe(200);
      const body = (await response.json()) as {
        method: string;
        degraded?: unknown;
        results: Array<{ predictions: unknown[]; degraded?: unknown }>;
      };
      expect(body.method).toBe(method);
      // The method ran as asked: a silent fall back to zero-shot would say `degraded`.
      expect(body.degraded).toBeUndefined();
      expect(body.results[0]?.degraded).toBeUndefined();
      expect(body.results[0]?.predictions).toHaveLength(chosen.length);
    }
  });

  it('generates subclasses once, keeps the calibration the scores still hold for, and classifies with them', async () => {
    const { images, labels } = await emojiFixtures();
    const chosen = labels.slice(0, 3);
    const id = 'subclassed-by-llm';
    await fetch(`${server.url}/v1/classifiers/${id}`, {
      method: 'PUT',
      headers: AUTH,
      body: JSON.stringify({ labels: chosen }),
    });
    const fixtures = images.filter((image) => chosen.includes(image.label));
    const labelled = [...fixtures, ...fixtures];
    const calibrated = await fetch(`${server.url}/v1/classifiers/${id}/calibrate`, {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify({
        images: labelled.map((image) => Buffer.from(image.bytes).toString('base64')),
        image_labels: labelled.map((image) => image.label),
        alpha: 0.25,
      }),
    });
    expect(calibrated.status, await calibrated.clone().text()).toBe(200);
    const before = llm.requests.length;
    const describe = () =>
      fetch(`${server.url}/v1/classifiers/${id}/describe?generate=subclasses`, {
        method: 'POST',
        headers: AUTH,
      });
    const first = await describe();
    expect(first.status, await first.clone().text()).toBe(200);
    const body = (await first.json()) as {
      classifier: { subclasses: Record<string, string[]>; calibration?: { method: string } };
      cached: boolean;
    };
    expect(body.cached).toBe(false);
    for (const label of chosen) {
      expect(body.classifier.subclasses[label]).toEqual([
        `${label} in red`,
        `${label} in blue`,
        `small ${label}`,
      ]);
    }
    // Zero-shot scores did not change, so the zero-shot calibration stays.
    expect(body.classifier.calibration?.method).toBe('zeroshot');
    // One request per label, and a second describe reads the cache.
    expect(llm.requests.length - before).toBe(chosen.length);
    expect(((await (await describe()).json()) as { cached: boolean }).cached).toBe(true);
    expect(llm.requests.length - before).toBe(chosen.length);
    const classify = await fetch(`${server.url}/v1/classify`, {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify({
        images: [Buffer.from(fixtures[0]!.bytes).toString('base64')],
        classifier: id,
        method: 'subclasses',
      }),
    });
    const result = (await classify.json()) as {
      degraded?: unknown;
      results: Array<{ predictions: Array<{ label: string; evidence?: Array<{ descriptor: string }> }> }>;
    };
    expect(result.degraded).toBeUndefined();
    const top = result.results[0]!.predictions[0]!;
    expect(body.classifier.subclasses[top.label]).toContain(top.evidence?.[0]?.descriptor);
  });

  it('answers 502 when the LLM fails on an explicit describe', async () => {
    const failing = await startOpenAIServer(() => ({ status: 500, body: { error: { message: 'boom' } } }));
    const other = await startNodeServer({
      port: 0,
      vars: {
        ...TEST_VARS,
        DESCRY_LLM: 'openai-compatible',
        DESCRY_LLM_BASE_URL: failing.baseURL,
        DESCRY_LLM_MODEL: 'm',
      },
    });
    try {
      const put = await fetch(`${other.url}/v1/classifiers/x`, {
        method: 'PUT',
        headers: AUTH,
        body: JSON.stringify({ labels: ['cat', 'dog'] }),
      });
      expect(put.status).toBe(201);
      const response = await fetch(`${other.url}/v1/classifiers/x/describe`, {
        method: 'POST',
        headers: AUTH,
      });
      expect(response.status).toBe(502);
      const problem = (await response.json()) as { code: string; detail: string };
      expect(problem.code).toBe('llm_failed');
      expect(problem.detail).not.toContain(failing.baseURL);
    } finally {
      await other.close();
      await failing.close();
    }
  });
});

describe('open access', () => {
  it('is open only with no keys configured and DESCRY_DEV set', async () => {
    const vars = { ...TEST_VARS, DESCRY_API_KEYS: '' };
    const locked = await startNodeServer({ port: 0, vars: { ...vars, DESCRY_DEV: 'false' } });
    const open = await startNodeServer({ port: 0, vars: { ...vars, DESCRY_DEV: 'true' } });
    try {
      const request = {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"texts":["a cat"]}',
      };
      expect((await fetch(`${locked.url}/v1/embeddings`, request)).status).toBe(401);
      expect((await fetch(`${open.url}/v1/embeddings`, request)).status).toBe(200);
    } finally {
      await locked.close();
      await open.close();
    }
  });
});

describe('failures of what the service depends on', () => {
  const request = { method: 'POST', headers: AUTH, body: JSON.stringify({ texts: ['a cat'] }) };

  it('answers 503 model_load_failed without the path when the model cannot load', async () => {
    const broken = await startNodeServer({ port: 0, model: '/nonexistent/descry-model', vars: TEST_VARS });
    try {
      const response = await fetch(`${broken.url}/v1/embeddings`, request);
      expect(response.status).toBe(503);
      const problem = (await response.json()) as { code: string; detail: string };
      expect(problem.code).toBe('model_load_failed');
      expect(problem.detail).not.toContain('/nonexistent');
      const health = await fetch(`${broken.url}/healthz?ready=1`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as { status: string }).status).toBe('failed');
    } finally {
      await broken.close();
    }
  });

  it('answers 503 llm_not_configured for describe without an LLM', async () => {
    const plain = await startNodeServer({ port: 0, vars: { ...TEST_VARS, DESCRY_LLM: 'none' } });
    try {
      await fetch(`${plain.url}/v1/classifiers/c`, {
        method: 'PUT',
        headers: AUTH,
        body: '{"labels":["cat","dog"]}',
      });
      const response = await fetch(`${plain.url}/v1/classifiers/c/describe`, {
        method: 'POST',
        headers: AUTH,
      });
      expect(response.status).toBe(503);
      expect(((await response.json()) as { code: string }).code).toBe('llm_not_configured');
    } finally {
      await plain.close();
    }
  });

  it('answers 504 llm_timeout on describe, but FuDD classification degrades instead', async () => {
    const hanging = await startOpenAIServer(() => ({ hang: true }));
    const slow = await startNodeServer({
      port: 0,
      vars: {
        ...TEST_VARS,
        DESCRY_LLM: 'openai-compatible',
        DESCRY_LLM_BASE_URL: hanging.baseURL,
        DESCRY_LLM_MODEL: 'm',
        DESCRY_LLM_TIMEOUT_MS: '300',
      },
    });
    try {
      const { images, labels } = await emojiFixtures();
      await fetch(`${slow.url}/v1/classifiers/slow`, {
        method: 'PUT',
        headers: AUTH,
        body: JSON.stringify({ labels }),
      });
      const describe = await fetch(`${slow.url}/v1/classifiers/slow/describe`, {
        method: 'POST',
        headers: AUTH,
      });
      expect(describe.status).toBe(504);
      expect(((await describe.json()) as { code: string }).code).toBe('llm_timeout');
      const classify = await fetch(`${slow.url}/v1/classify`, {
        method: 'POST',
        headers: AUTH,
        body: JSON.stringify({
          images: [Buffer.from(images[0]!.bytes).toString('base64')],
          classifier: 'slow',
          method: 'fudd',
        }),
      });
      expect(classify.status, await classify.clone().text()).toBe(200);
      const body = (await classify.json()) as { degraded?: { requested: string } };
      expect(body.degraded?.requested).toBe('fudd');
    } finally {
      await slow.close();
      await hanging.close();
    }
  });
});
