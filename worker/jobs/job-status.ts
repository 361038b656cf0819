/**
 * A job as clients see it (GET /v1/jobs/{id}) and as its summary.json records it: status,
 * counts, progress, timings and where the results are. The summary is written whenever the job
 * ends, and again if a shard that was in flight lands after a cancellation.
 */
import { z } from '@hono/zod-openapi';
import { MethodSchema } from '../http/request/fields.js';
import type { JobHost } from './job-host.js';
import { isTerminal, type JobState } from './job-ledger.js';
import { jobObjects } from './job-spec.js';

export const JobStatusSchema = z
  .object({
    id: z.string(),
    status: z.enum(['listing', 'running', 'completed', 'cancelled', 'failed']).openapi({
      description:
        'listing: pages of the source are still being enqueued; completed, cancelled, failed are final',
    }),
    owner: z.string().optional().openapi({
      description: 'Key id of the API key that created the job (first 16 hex digits of its SHA-256)',
    }),
    model: z.string(),
    method: MethodSchema,
    classifier: z.string().optional().openapi({ description: 'The stored classifier the job snapshotted' }),
    labels: z.number().int(),
    top_k: z.number().int(),
    source: z.union([
      z.object({ bucket: z.string(), prefix: z.string() }),
      z.object({ bucket: z.string(), keys: z.number().int() }),
    ]),
    counts: z
      .object({
        total: z
          .number()
          .int()
          .openapi({ description: 'Images listed so far (final once status is not listing)' }),
        queued: z.number().int().openapi({
          description:
            'Images without a result line yet; of a cancelled job, those of shards in flight when it was cancelled, which may still land',
        }),
        done: z.number().int().openapi({ description: 'Images classified' }),
        failed: z.number().int().openapi({ description: 'Images with an error line' }),
        cancelled: z
          .number()
          .int()
          .openapi({ description: 'Images of a cancelled job that never started and never will' }),
      })
      .openapi({
        description:
          'total = queued + done + failed + cancelled; every listed image ends up done, failed or cancelled, exactly once',
      }),
    errors: z.record(z.string(), z.number().int()).openapi({ description: 'Failed images per error code' }),
    progress: z
      .number()
      .nullable()
      .openapi({ description: '(done + failed) / total, 0 to 1; null while the source is being listed' }),
    shards: z.object({
      total: z.number().int(),
      done: z.number().int(),
      dead_lettered: z.number().int(),
      running: z.number().int().openapi({ description: 'Shards begun and not counted yet' }),
    }),
    timings: z.object({
      created_at: z.string(),
      started_at: z.string().optional(),
      finished_at: z.string().optional(),
      elapsed_ms: z.number(),
      images_per_second: z.number().optional(),
    }),
    results: z
      .object({
        location: z.string().openapi({ description: 'The results bucket (binding name) or storage setting' }),
        prefix: z.string(),
        shards: z.string().openapi({ description: 'Prefix of the JSON Lines shards' }),
        summary: z.string(),
        url: z.string().openapi({ description: 'Every result line of the job, as one JSON Lines stream' }),
      })
      .openapi({ description: 'Where the results are' }),
    failure: z.string().optional(),
    dead_letters: z.array(z.object({ shard: z.string(), reason: z.string() })).optional(),
  })
  .openapi('Job');

export type JobStatusBody = z.infer<typeof JobStatusSchema>;

/** The client's view of `state`. */
export function jobStatus(
  state: JobState,
  host: Pick<JobHost, 'resultsLocation'>,
  now = Date.now(),
): JobStatusBody {
  const { spec, images } = state;
  const objects = jobObjects(spec.id);
  const processed = images.classified + images.failed;
  const end = state.finishedAt ? Date.parse(state.finishedAt) : now;
  const seconds = state.startedAt ? (end - Date.parse(state.startedAt)) / 1000 : 0;
  return {
    id: spec.id,
    status: state.status,
    ...(spec.owner ? { owner: spec.owner } : {}),
    model: spec.model,
    method: spec.method,
    ...(spec.classifier ? { classifier: spec.classifier } : {}),
    labels: spec.labels,
    top_k: spec.topK,
    source: spec.source,
    counts: {
      total: images.total,
      queued: images.total - processed - images.cancelled,
      done: images.classified,
      failed: images.failed,
      cancelled: images.cancelled,
    },
    errors: state.errors,
    progress: state.listed ? (images.total === 0 ? 1 : processed / images.total) : null,
    shards: {
      total: state.shards.total,
      done: state.shards.done,
      dead_lettered: state.shards.deadLettered,
      running: Object.keys(state.running).length,
    },
    timings: {
      created_at: spec.createdAt,
      ...(state.startedAt ? { started_at: state.startedAt } : {}),
      ...(state.finishedAt ? { finished_at: state.finishedAt } : {}),
      elapsed_ms: Math.max(0, end - Date.parse(spec.createdAt)),
      ...(seconds > 0 && processed > 0
        ? { images_per_second: Math.round((processed / seconds) * 100) / 100 }
        : {}),
    },
    results: {
      location: host.resultsLocation,
      prefix: objects.prefix,
      shards: objects.shards,
      summary: objects.summary,
      url: `/v1/jobs/${spec.id}/results`,
    },
    ...(state.failure ? { failure: state.failure } : {}),
    ...(state.deadLetters.length > 0 ? { dead_letters: state.deadLetters } : {}),
  };
}

/** Write summary.json when the job is over (idempotent: the content follows the ledger). */
export async function writeSummaryIfOver(
  host: Pick<JobHost, 'results' | 'resultsLocation'>,
  state: JobState | null,
): Promise<void> {
  if (!state || !isTerminal(state.status)) return;
  await host.results.put(
    jobObjects(state.spec.id).summary,
    `${JSON.stringify(jobStatus(state, host), null, 2)}\n`,
  );
}
