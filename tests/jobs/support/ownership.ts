/**
 * Jobs belong to the key that created them, checked the same way on both hosts: another key gets
 * the 404 an unknown id gets (GET, DELETE, results), an admin key sees and cancels every job, and
 * GET /v1/jobs lists the caller's jobs only, newest first, page by page.
 */
import { expect } from 'vitest';
import { keyIdOf } from '../../../worker/http/middleware/api-key-auth.js';
import { TEST_KEYS } from '../../worker/support/test-vars.js';
import type { Call } from './job-client.js';

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

interface Listed {
  jobs: Array<{
    id: string;
    status: string;
    owner?: string;
    counts: Record<string, number>;
    created_at: string;
  }>;
  cursor?: string;
}

async function create(call: Call, key: string, labels: string[], imageKey: string): Promise<string> {
  // Distinct creation times, so that "newest first" has one answer.
  await new Promise((resolve) => setTimeout(resolve, 5));
  const response = await call('/v1/jobs', {
    method: 'POST',
    headers: { ...bearer(key), 'Content-Type': 'application/json' },
    body: JSON.stringify({ labels, source: { bucket: 'IMAGES', keys: [imageKey] } }),
  });
  const text = await response.text();
  expect(response.status, text).toBe(202);
  return (JSON.parse(text) as { id: string }).id;
}

/** Every job `key` lists, following cursors `limit` at a time; checks each page's size. */
async function listAll(call: Call, key: string, limit: number): Promise<Listed['jobs']> {
  const jobs: Listed['jobs'] = [];
  let cursor: string | undefined;
  do {
    const query = `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const response = await call(`/v1/jobs${query}`, { headers: bearer(key) });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    const page = JSON.parse(text) as Listed;
    expect(page.jobs.length).toBeLessThanOrEqual(limit);
    if (page.cursor) expect(page.jobs).toHaveLength(limit);
    jobs.push(...page.jobs);
    cursor = page.cursor;
  } while (cursor);
  return jobs;
}

/**
 * Run the ownership checks through `call`, whose service has `adminKey` in DESCRY_ADMIN_KEYS and
 * TEST_KEYS as its keys. TEST_KEYS[1] must own no job before.
 */
export async function checkOwnership(call: Call, adminKey: string, labels: string[], imageKey: string) {
  const [first, second] = TEST_KEYS;
  const mine = await create(call, first, labels, imageKey);
  const theirs = [
    await create(call, second, labels, imageKey),
    await create(call, second, labels, imageKey),
    await create(call, second, labels, imageKey),
  ];

  // Another key: exactly what an unknown id gets.
  const unknown = await call('/v1/jobs/job_00000000000000000000000000000000', { headers: bearer(second) });
  expect(unknown.status).toBe(404);
  const unknownBody = (await unknown.json()) as Record<string, unknown>;
  for (const [method, path] of [
    ['GET', `/v1/jobs/${mine}`],
    ['GET', `/v1/jobs/${mine}/results`],
    ['DELETE', `/v1/jobs/${mine}`],
  ] as const) {
    const response = await call(path, { method, headers: bearer(second) });
    expect(response.status, `${method} ${path}`).toBe(404);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(Object.keys(unknownBody).sort());
    expect(body).toMatchObject({ code: 'not_found', detail: `no job with id "${mine}"` });
  }

  // The owner and an admin key see it; the job names its owner's key id, never the key.
  const owned = await call(`/v1/jobs/${mine}`, { headers: bearer(first) });
  expect(owned.status).toBe(200);
  expect(await owned.json()).toMatchObject({ id: mine, owner: await keyIdOf(first) });
  const asAdmin = await call(`/v1/jobs/${mine}`, { headers: bearer(adminKey) });
  expect(asAdmin.status).toBe(200);
  expect((await call(`/v1/jobs/${mine}/results`, { headers: bearer(adminKey) })).status).toBe(200);

  // Listing: the caller's jobs only, newest first, one page at a time.
  const listed = await listAll(call, second, 2);
  expect(listed.map((job) => job.id)).toEqual([...theirs].reverse());
  const secondId = await keyIdOf(second);
  for (const job of listed) {
    expect(job).toMatchObject({ owner: secondId, counts: { total: expect.any(Number) } });
    expect(Date.parse(job.created_at)).not.toBeNaN();
  }
  const firstList = (await listAll(call, first, 100)).map((job) => job.id);
  expect(firstList).toContain(mine);
  expect(firstList.some((id) => theirs.includes(id))).toBe(false);
  const all = (await listAll(call, adminKey, 100)).map((job) => job.id);
  expect(all).toEqual(expect.arrayContaining([mine, ...theirs]));
  expect(all.indexOf(theirs[2]!)).toBeLessThan(all.indexOf(mine));

  // A malformed cursor or limit is the caller's mistake.
  expect((await call('/v1/jobs?cursor=nope', { headers: bearer(first) })).status).toBe(422);
  expect((await call('/v1/jobs?limit=0', { headers: bearer(first) })).status).toBe(422);
  expect((await call('/v1/jobs?limit=101', { headers: bearer(first) })).status).toBe(422);

  // An admin key may cancel another key's job (if it is not over yet).
  const cancel = await call(`/v1/jobs/${theirs[0]}`, { method: 'DELETE', headers: bearer(adminKey) });
  expect([200, 409]).toContain(cancel.status);
  return { mine, theirs };
}
