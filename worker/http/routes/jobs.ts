/**
 * Batch jobs: POST /v1/jobs starts one over a bucket prefix or a list of keys (202 and its id),
 * GET /v1/jobs lists the caller's jobs, GET /v1/jobs/{id} reports one, DELETE /v1/jobs/{id}
 * cancels it, GET /v1/jobs/{id}/results streams every result line written so far. The work itself
 * runs on the host's queue (worker/jobs/).
 *
 * A job belongs to the key that created them (its key id is in the spec): another key gets the
 * same 404 as for an id that does not exist, so ids reveal nothing; admin keys see every job.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { DescryError } from 'descry';
import type { JobHost } from '../../jobs/job-host.js';
import { JOB_CURSOR, listJobIds } from '../../jobs/job-index.js';
import { isTerminal, type JobState } from '../../jobs/job-ledger.js';
import { startJob } from '../../jobs/job-producer.js';
import { JobIdSchema, JobRequestSchema, jobObjects } from '../../jobs/job-spec.js';
import { type JobStatusBody, JobStatusSchema, jobStatus, writeSummaryIfOver } from '../../jobs/job-status.js';
import { readText } from '../../jobs/object-bucket.js';
import type { ServiceDeps } from '../../service/deps.js';
import type { Service } from '../../service/service.js';
import { type Caller, callerOf } from '../middleware/api-key-auth.js';
import { requestSignal } from '../middleware/request-context.js';
import { ProblemError } from '../problem.js';
import { problemResponses } from '../schemas.js';
import { rejectInvalid } from '../validation-problem.js';

const params = z.object({ id: JobIdSchema });
const jobJson = { 'application/json': { schema: JobStatusSchema } };

const createJobRoute = createRoute({
  method: 'post',
  path: '/v1/jobs',
  operationId: 'createJob',
  tags: ['jobs'],
  summary: 'Classify every image under a bucket prefix, or a list of keys, in the background',
  security: [{ bearerAuth: [] }],
  request: { body: { required: true, content: { 'application/json': { schema: JobRequestSchema } } } },
  responses: {
    202: {
      description: 'Accepted; poll the Location',
      content: jobJson,
      headers: z.object({ Location: z.string() }),
    },
    ...problemResponses(400, 401, 404, 408, 409, 413, 415, 422, 503),
  },
});

const JobListQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: 'Jobs per page (default 20, at most 100)', example: 20 }),
  cursor: z
    .string()
    .regex(JOB_CURSOR, 'pass the `cursor` of the previous page')
    .optional()
    .openapi({ description: 'The `cursor` of the previous page' }),
});

const JobListSchema = z
  .object({
    jobs: z.array(
      JobStatusSchema.pick({ id: true, status: true, owner: true, counts: true, progress: true }).extend({
        created_at: z.string(),
      }),
    ),
    cursor: z
      .string()
      .optional()
      .openapi({ description: 'Pass as `cursor` for the next page; absent on the last' }),
  })
  .openapi('JobList');

const listJobsRoute = createRoute({
  method: 'get',
  path: '/v1/jobs',
  operationId: 'listJobs',
  tags: ['jobs'],
  summary: "The caller's jobs, newest first (an admin key's: every job)",
  security: [{ bearerAuth: [] }],
  request: { query: JobListQuerySchema },
  responses: {
    200: { description: 'One page of jobs', content: { 'application/json': { schema: JobListSchema } } },
    ...problemResponses(401, 422, 503),
  },
});

const getJobRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}',
  operationId: 'getJob',
  tags: ['jobs'],
  summary: 'Status, counts, progress and timings of a job, and where its results are',
  security: [{ bearerAuth: [] }],
  request: { params },
  responses: { 200: { description: 'The job', content: jobJson }, ...problemResponses(401, 404, 422, 503) },
});

const cancelJobRoute = createRoute({
  method: 'delete',
  path: '/v1/jobs/{id}',
  operationId: 'cancelJob',
  tags: ['jobs'],
  summary: 'Cancel a job: no new shard starts; result lines already written stay',
  security: [{ bearerAuth: [] }],
  request: { params },
  responses: {
    200: { description: 'The cancelled job', content: jobJson },
    ...problemResponses(401, 404, 409, 422, 503),
  },
});

const resultsRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}/results',
  operationId: 'getJobResults',
  tags: ['jobs'],
  summary: 'Every result line written so far, shard after shard, as one JSON Lines stream',
  security: [{ bearerAuth: [] }],
  request: { params },
  responses: {
    200: {
      description: 'One line per image: { key, predictions } or { key, error: { code, message } }',
      content: { 'application/x-ndjson': { schema: z.string() } },
    },
    ...problemResponses(401, 404, 422, 503),
  },
});

function hostOf(deps: ServiceDeps): JobHost {
  if (!deps.jobs) {
    throw new ProblemError(503, 'jobs_not_configured', 'Batch jobs are not configured on this deployment.');
  }
  return deps.jobs;
}

/** Whether `caller` may see and cancel the job of `state`. */
function owns(caller: Caller, state: JobState): boolean {
  return caller.admin || state.spec.owner === caller.keyId;
}

/** The job `id` as `caller` may see it: another key's job is as unknown as a missing one. */
async function existing(host: JobHost, id: string, caller: Caller): Promise<JobState> {
  const state = await host.ledger(id).state();
  if (!state || !owns(caller, state)) {
    throw new DescryError('not_found', `no job with id "${id}"`, { details: { id } });
  }
  return state;
}

/**
 * The status of a listed job: a finished job's summary.json (it changes no more, and reading it
 * keeps a listing from waking every old job's ledger), else its ledger.
 */
async function listedStatus(host: JobHost, id: string): Promise<JobStatusBody | null> {
  const summary = await readText(host.results, jobObjects(id).summary);
  if (summary !== null) {
    const body = JSON.parse(summary) as JobStatusBody;
    if (body.status === 'completed' || body.status === 'failed') return body;
  }
  const state = await host.ledger(id).state();
  return state ? jobStatus(state, host) : null;
}

/** The shards of job `id`, concatenated in name order, streamed. */
function resultStream(host: JobHost, id: string): ReadableStream<Uint8Array> {
  const prefix = jobObjects(id).shards;
  let cursor: string | undefined;
  let keys: string[] = [];
  let listed = false;
  return new ReadableStream({
    async pull(controller) {
      while (keys.length === 0 && !listed) {
        const page = await host.results.list({ prefix, limit: 1000, ...(cursor ? { cursor } : {}) });
        keys = page.objects.map((object) => object.key).filter((key) => key.endsWith('.jsonl'));
        cursor = page.cursor;
        listed = cursor === undefined;
      }
      const key = keys.shift();
      if (key === undefined) {
        controller.close();
        return;
      }
      const shard = await host.results.get(key);
      if (shard) controller.enqueue(await shard.bytes());
    },
  });
}

/** Routes of the job collection. */
export function jobRoutes(service: Service) {
  const { deps } = service;
  return (
    new OpenAPIHono({ defaultHook: rejectInvalid })
      // Compiling the labels of a job runs the text encoder: it is admitted as inference.
      .openapi({ ...createJobRoute, middleware: [service.gate.admit] as const }, async (c) => {
        const host = hostOf(deps);
        const { keyId } = callerOf(c);
        const state = await startJob({ host, service }, c.req.valid('json'), keyId, requestSignal(c));
        return c.json(jobStatus(state, host), 202, { Location: `/v1/jobs/${state.spec.id}` });
      })
      .openapi(listJobsRoute, async (c) => {
        const host = hostOf(deps);
        const caller = callerOf(c);
        const { limit = 20, cursor } = c.req.valid('query');
        const page = await listJobIds(host.results, caller.admin ? undefined : caller.keyId, {
          limit,
          ...(cursor ? { cursor } : {}),
        });
        const found = await Promise.all(page.ids.map((id) => listedStatus(host, id)));
        const jobs = found
          .filter((job): job is JobStatusBody => job !== null && (caller.admin || job.owner === caller.keyId))
          .map(({ id, status, owner, counts, progress, timings }) => ({
            id,
            status,
            ...(owner ? { owner } : {}),
            counts,
            progress,
            created_at: timings.created_at,
          }));
        return c.json({ jobs, ...(page.cursor ? { cursor: page.cursor } : {}) }, 200);
      })
      .openapi(getJobRoute, async (c) => {
        const host = hostOf(deps);
        const state = await existing(host, c.req.valid('param').id, callerOf(c));
        return c.json(jobStatus(state, host), 200);
      })
      .openapi(cancelJobRoute, async (c) => {
        const host = hostOf(deps);
        const { id } = c.req.valid('param');
        await existing(host, id, callerOf(c));
        const state = (await host.ledger(id).cancel())!;
        if (state.status !== 'cancelled') {
          throw new ProblemError(409, 'job_finished', `job "${id}" is already ${state.status}`, {
            extensions: { status: state.status },
          });
        }
        await writeSummaryIfOver(host, state);
        return c.json(jobStatus(state, host), 200);
      })
      .openapi(resultsRoute, async (c) => {
        const host = hostOf(deps);
        const { id } = c.req.valid('param');
        const state = await existing(host, id, callerOf(c));
        return new Response(resultStream(host, id), {
          status: 200,
          headers: {
            'Content-Type': 'application/x-ndjson; charset=utf-8',
            'X-Descry-Job-Status': state.status,
            ...(isTerminal(state.status) ? {} : { 'Cache-Control': 'no-store' }),
          },
        }) as never;
      })
  );
}
