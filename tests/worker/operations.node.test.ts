/**
 * What an operator of the Node server sees and relies on, against a real server on 127.0.0.1:
 * one JSON access-log line per request (request id, route, status, duration, hashed key id,
 * workload, inference wait; never the key), Prometheus /metrics behind a key, per-key rate limits
 * (429 with Retry-After, other keys unaffected), the request deadline (503 deadline_exceeded), and
 * problem+json for what Node itself refuses (431 for oversized headers), and batch jobs counted in
 * /metrics as they start, finish and count their shards.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startNodeServer } from '../../worker/hosts/node-server.node.js';
import { startJob, waitForJob } from '../jobs/support/job-client.js';
import { gradientPng } from '../jobs/support/job-images.js';
import { base64, solidPng } from './support/synthetic-images.js';
import { TEST_KEYS, TEST_VARS } from './support/test-vars.js';

const AUTH = { Authorization: `Bearer ${TEST_KEYS[0]}`, 'Content-Type': 'application/json' };
const OTHER = { Authorization: `Bearer ${TEST_KEYS[1]}`, 'Content-Type': 'application/json' };
const classifyBody = JSON.stringify({ images: [base64(solidPng(8, 8))], labels: ['cat', 'dog'] });

describe('operating the Node server', () => {
  it('writes one JSON access-log line per request, with a hashed key id and the workload', async () => {
    const lines: string[] = [];
    const server = await startNodeServer({
      port: 0,
      vars: { ...TEST_VARS, DESCRY_ACCESS_LOG: 'true' },
      log: (line) => lines.push(line),
    });
    try {
      const response = await fetch(`${server.url}/v1/classify`, {
        method: 'POST',
        headers: AUTH,
        body: classifyBody,
      });
      expect(response.status).toBe(200);
      await fetch(`${server.url}/v1/nothing-here`, { headers: AUTH });
      await fetch(`${server.url}/healthz`);
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(entries).toHaveLength(3);
      const [classify, missing, health] = entries;
      expect(classify).toMatchObject({
        msg: 'request',
        method: 'POST',
        route: '/v1/classify',
        status: 200,
        images: 1,
        labels: 2,
        request_id: response.headers.get('x-request-id'),
      });
      expect(classify!.key_id).toMatch(/^[0-9a-f]{16}$/);
      expect(typeof classify!.duration_ms).toBe('number');
      expect(typeof classify!.inference_wait_ms).toBe('number');
      expect(missing).toMatchObject({ status: 404, route: 'unmatched' });
      expect(health).toMatchObject({ route: '/healthz', status: 200, key_id: null });
      for (const line of lines) for (const key of TEST_KEYS) expect(line).not.toContain(key);
    } finally {
      await server.close();
    }
  });

  it('serves Prometheus metrics behind a key', async () => {
    const server = await startNodeServer({ port: 0, vars: TEST_VARS });
    try {
      await fetch(`${server.url}/v1/classify`, { method: 'POST', headers: AUTH, body: classifyBody });
      expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
      const response = await fetch(`${server.url}/metrics`, { headers: AUTH });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await response.text();
      expect(text).toMatch(
        /^descry_http_requests_total\{method="POST",route="\/v1\/classify",status="200"\} 1$/m,
      );
      expect(text).toMatch(
        /^descry_http_request_duration_seconds_bucket\{le="\+Inf",method="POST",route="\/v1\/classify"\} 1$/m,
      );
      expect(text).toMatch(/^descry_inference_wait_seconds_count\{lane="decode"\} [1-9]/m);
      expect(text).toMatch(/^descry_inference_queue_depth\{lane="model"\} 0$/m);
      expect(text).toMatch(/^descry_model_load_seconds\{outcome="ok"\} /m);
      expect(text).toMatch(/^descry_process_resident_memory_bytes /m);
    } finally {
      await server.close();
    }
  });

  it('limits requests per key with 429 and Retry-After, leaving other keys and /healthz alone', async () => {
    const server = await startNodeServer({
      port: 0,
      vars: { ...TEST_VARS, DESCRY_RATE_LIMIT_REQUESTS: '3', DESCRY_RATE_LIMIT_PERIOD_SECONDS: '60' },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push(
          (
            await fetch(`${server.url}/v1/embeddings`, {
              method: 'POST',
              headers: AUTH,
              body: '{"texts":["a"]}',
            })
          ).status,
        );
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await fetch(`${server.url}/v1/embeddings`, {
        method: 'POST',
        headers: AUTH,
        body: '{"texts":["a"]}',
      });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await limited.json()) as { code: string }).code).toBe('rate_limited');
      const other = await fetch(`${server.url}/v1/embeddings`, {
        method: 'POST',
        headers: OTHER,
        body: '{"texts":["a"]}',
      });
      expect(other.status).toBe(200);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('stops a request past its deadline with 503 deadline_exceeded', async () => {
    const server = await startNodeServer({
      port: 0,
      vars: { ...TEST_VARS, DESCRY_REQUEST_TIMEOUT_MS: '1', DESCRY_MAX_LABELS: '64' },
    });
    try {
      const labels = Array.from({ length: 64 }, (_, i) => `label number ${i}`);
      const body = JSON.stringify({ images: [base64(solidPng(8, 8))], labels });
      const response = await fetch(`${server.url}/v1/classify`, { method: 'POST', headers: AUTH, body });
      expect(response.status, await response.clone().text()).toBe(503);
      expect(((await response.json()) as { code: string }).code).toBe('deadline_exceeded');
      expect(response.headers.get('retry-after')).toBe('1');
    } finally {
      await server.close();
    }
  });

  it('answers oversized headers with 431 problem+json', async () => {
    const server = await startNodeServer({ port: 0, vars: TEST_VARS });
    try {
      const { hostname, port } = new URL(server.url);
      const answer = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
        const call = request(
          { hostname, port, path: `/v1/classify?${'x'.repeat(100_000)}`, method: 'GET' },
          (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => {
              body += chunk.toString();
            });
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body }),
            );
          },
        );
        call.on('error', reject);
        call.end();
      });
      expect(answer.status).toBe(431);
      expect(answer.type).toBe('application/problem+json');
      expect(JSON.parse(answer.body)).toMatchObject({ status: 431, code: 'headers_too_large' });
    } finally {
      await server.close();
    }
  });

  it('counts batch jobs in /metrics: started, completed, cancelled, shards done', async () => {
    const bucket = await mkdtemp(join(tmpdir(), 'descry-metrics-bucket-'));
    for (let i = 0; i < 30; i++) await writeFile(join(bucket, `${i}.png`), gradientPng(i, 16));
    const server = await startNodeServer({
      port: 0,
      vars: { ...TEST_VARS, DESCRY_JOB_BUCKETS: `IMAGES=${bucket}` },
    });
    const call = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);
    const events = async () => {
      const text = await (await call('/metrics', { headers: AUTH })).text();
      return Object.fromEntries(
        [...text.matchAll(/^descry_job_events_total\{event="(\w+)"\} (\d+)$/gm)].map((m) => [
          m[1],
          Number(m[2]),
        ]),
      );
    };
    try {
      // No job, no job events.
      expect(await events()).toEqual({});
      const labels = ['red', 'green', 'blue'];
      const keys = (n: number) => Array.from({ length: n }, (_, i) => `${i}.png`);
      const done = await waitForJob(
        call,
        (await startJob(call, { labels, batch_size: 2, source: { bucket: 'IMAGES', keys: keys(6) } })).id,
      );
      expect(done.status).toBe('completed');
      expect(await events()).toEqual({ started: 1, completed: 1, shard_done: 3 });
      // A long job cancelled at once: one more started, one cancelled, and at most what was in flight lands.
      const long = await startJob(call, {
        labels,
        batch_size: 1,
        source: { bucket: 'IMAGES', keys: keys(30) },
      });
      const cancel = await call(`/v1/jobs/${long.id}`, { method: 'DELETE', headers: AUTH });
      expect(cancel.status).toBe(200);
      const over = await waitForJob(call, long.id);
      expect(over.status).toBe('cancelled');
      const after = await events();
      expect(after).toMatchObject({ started: 2, completed: 1, cancelled: 1 });
      expect(after.failed ?? 0).toBe(0);
      expect(after.shard_failed ?? 0).toBe(0);
      expect(after.shard_done).toBeGreaterThanOrEqual(3);
      expect(after.shard_done).toBeLessThan(3 + 30);
    } finally {
      await server.close();
      await rm(bucket, { recursive: true, force: true });
    }
  });
});
