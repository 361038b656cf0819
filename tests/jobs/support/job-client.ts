/** The job API as a client uses it: start, poll until over, read every result line. */
import { parseResultLines, type ResultLine } from 'descry';
import { expect } from 'vitest';
import type { JobStatusBody } from '../../../worker/jobs/job-status.js';
import { TEST_KEYS } from '../../worker/support/test-vars.js';

/** Sends a request to a service (in workerd, on Node, or over HTTP). */
export type Call = (path: string, init?: RequestInit) => Promise<Response>;

export const AUTH = { Authorization: `Bearer ${TEST_KEYS[0]}` };

/** POST /v1/jobs; expects 202 and answers the job. */
export async function startJob(call: Call, body: unknown): Promise<JobStatusBody> {
  const response = await call('/v1/jobs', {
    method: 'POST',
    headers: { ...AUTH, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.status, text).toBe(202);
  const job = JSON.parse(text) as JobStatusBody;
  expect(response.headers.get('location')).toBe(`/v1/jobs/${job.id}`);
  return job;
}

/** GET /v1/jobs/{id}. */
export async function jobStatus(call: Call, id: string): Promise<JobStatusBody> {
  const response = await call(`/v1/jobs/${id}`, { headers: AUTH });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text) as JobStatusBody;
}

/** Poll until the job is over (completed, cancelled, failed). */
export async function waitForJob(call: Call, id: string, timeoutMs = 120_000): Promise<JobStatusBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await jobStatus(call, id);
    if (['completed', 'cancelled', 'failed'].includes(job.status)) return job;
    if (Date.now() > deadline)
      throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Every result line of the job, from GET /v1/jobs/{id}/results. */
export async function resultLines(call: Call, id: string): Promise<ResultLine[]> {
  const response = await call(`/v1/jobs/${id}/results`, { headers: AUTH });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
  return parseResultLines(text);
}

/** Each key's count among `lines`: every value must be 1 for exactly-once results. */
export function keyCounts(lines: readonly ResultLine[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line.key, (counts.get(line.key) ?? 0) + 1);
  return counts;
}
