/**
 * The producer side of a job. Starting one snapshots what it classifies with (the classifier,
 * and the TFUP cache for method tfup) so that later edits of a stored classifier cannot mix two
 * label sets in one job, records it in the ledger, and queues its first work: the whole plan of a
 * key list, or the first `list` message of a prefix. Each `list` message lists one page, writes
 * the page's plan once (a second delivery reads it back instead of listing again, so shards never
 * regroup), counts it, and sends the page's `classify` messages and the next `list`.
 */
import type { CompiledClassifier } from 'descry';
import { calibrationFor, InvalidInputError } from 'descry';
import { encodeTfupCache, type TfupCache } from 'descry/predictors';
import { assertRequestLimits } from '../http/request/reader.js';
import type { JobContext } from './job-context.js';
import { indexJob } from './job-index.js';
import { isTerminal, type JobState } from './job-ledger.js';
import type { JobMessage, ListMessage, PagePlan } from './job-messages.js';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_TOP_K,
  type JobRequest,
  type JobSpec,
  jobObjects,
  newJobId,
  shardName,
} from './job-spec.js';
import { writeSummaryIfOver } from './job-status.js';
import { readText } from './object-bucket.js';

/** Keys per listed page (R2 lists at most 1000 per call). */
export const LIST_PAGE_SIZE = 1000;

function planOf(page: number, keys: readonly string[], batchSize: number, next?: string): PagePlan {
  const shards: PagePlan['shards'] = [];
  for (let start = 0; start < keys.length; start += batchSize) {
    shards.push({ shard: shardName(page, shards.length), keys: keys.slice(start, start + batchSize) });
  }
  return { page, shards, ...(next ? { next } : {}) };
}

/**
 * Write `plan` unless a plan for its page exists (then that one wins), count it in the ledger,
 * and send its messages. Safe to repeat: every step is idempotent.
 */
async function runPlan(context: JobContext, job: string, plan: PagePlan): Promise<JobState | null> {
  const { host } = context;
  const key = jobObjects(job).page(plan.page);
  let chosen = plan;
  if (!(await host.results.put(key, JSON.stringify(plan), { onlyIfAbsent: true }))) {
    chosen = JSON.parse((await readText(host.results, key)) ?? 'null') as PagePlan;
  }
  const images = chosen.shards.reduce((n, shard) => n + shard.keys.length, 0);
  const state = await host
    .ledger(job)
    .registerPage(chosen.page, { shards: chosen.shards.length, images }, chosen.next === undefined);
  // Cancelled (or failed) meanwhile: the page is not counted and nothing of it starts.
  if (!state || isTerminal(state.status)) return state;
  const messages: JobMessage[] = chosen.shards.map(({ shard, keys }) => ({
    kind: 'classify',
    job,
    shard,
    keys,
  }));
  if (chosen.next !== undefined)
    messages.push({ kind: 'list', job, page: chosen.page + 1, cursor: chosen.next });
  await host.enqueue(messages);
  return state;
}

/** Check a request against the deployment before anything is stored. */
function checkRequest(context: JobContext, request: JobRequest): string[] | undefined {
  const { config } = context.host;
  const bucket = request.source.bucket;
  if (!context.host.source(bucket)) {
    const allowed = [...config.buckets.keys()].join(', ') || 'none';
    throw new InvalidInputError(
      'invalid_input',
      `source.bucket: "${bucket}" is not a job source here (allowed: ${allowed})`,
      { details: { bucket, allowed: [...config.buckets.keys()] } },
    );
  }
  assertRequestLimits(context.service.config.limits, { labels: request.labels?.length });
  if (!('keys' in request.source)) return undefined;
  const keys = [...new Set(request.source.keys)];
  if (keys.length > config.maxKeys) {
    throw new InvalidInputError(
      'invalid_input',
      `source.keys: ${keys.length} keys; the limit is ${config.maxKeys} (use a prefix for more)`,
      { details: { limit: config.maxKeys } },
    );
  }
  return keys;
}

/**
 * Start a job for `owner` (the caller's key id): snapshot, record, index, queue. Answers its first
 * state. `signal` is the request's: the label set is compiled through the service's gate, as any
 * request's.
 */
export async function startJob(
  context: JobContext,
  request: JobRequest,
  owner: string,
  signal?: AbortSignal,
): Promise<JobState> {
  const keys = checkRequest(context, request);
  const { host, service } = context;
  const method = request.method ?? 'zeroshot';
  let classifier: CompiledClassifier | undefined;
  let tfup: Uint8Array | undefined;
  let tfupCache: TfupCache | undefined;
  if (request.classifier !== undefined) {
    // Read before the engine loads: an unknown id is answered without loading the model.
    classifier = (await service.classifiers.get(request.classifier)).classifier;
    if (method === 'tfup') {
      const stored = { id: request.classifier, classifier };
      const { tfup: adapted } = await service.resources.optionsFor('tfup', stored);
      if (adapted) {
        tfupCache = adapted.cache;
        tfup = encodeTfupCache(adapted.cache);
      }
    }
  }
  const engine = await service.inference.engine();
  classifier ??= await engine.compile(
    {
      labels: request.labels ?? [],
      ...(request.templates ? { templates: request.templates } : {}),
      ...(request.descriptors ? { descriptors: request.descriptors } : {}),
      ...(request.subclasses ? { subclasses: request.subclasses } : {}),
    },
    service.inference.run(signal),
  );
  // Sets asked for (max_set_size) that this classifier cannot give are refused now, not per shard.
  calibrationFor(classifier, {
    method,
    ...(tfupCache ? { tfup: { cache: tfupCache } } : {}),
    ...(method === 'fudd' ? await service.resources.optionsFor('fudd', undefined) : {}),
    ...(request.max_set_size === undefined ? {} : { maxSetSize: request.max_set_size }),
  });
  const id = newJobId();
  const objects = jobObjects(id);
  // float32: a job answers exactly what /v1/classify answers for the same labels.
  await host.results.put(objects.classifier, classifier.toBytes('float32'));
  if (tfup) await host.results.put(objects.tfup, tfup);
  const batchSize = request.batch_size ?? DEFAULT_BATCH_SIZE;
  const spec: JobSpec = {
    id,
    model: engine.info.id,
    method,
    topK: request.top_k ?? DEFAULT_TOP_K,
    ...(request.max_set_size !== undefined ? { maxSetSize: request.max_set_size } : {}),
    ...(request.classifier !== undefined ? { classifier: request.classifier } : {}),
    ...(request.background !== undefined ? { background: request.background } : {}),
    labels: classifier.labels.length,
    source: keys
      ? { bucket: request.source.bucket, keys: keys.length }
      : { bucket: request.source.bucket, prefix: 'prefix' in request.source ? request.source.prefix : '' },
    batchSize,
    createdAt: new Date().toISOString(),
    owner,
  };
  const ledger = host.ledger(id);
  let state = await ledger.create(spec);
  try {
    await indexJob(host.results, spec);
    if (keys) state = (await runPlan(context, id, planOf(0, keys, batchSize))) ?? state;
    else await host.enqueue([{ kind: 'list', job: id, page: 0 }]);
  } catch (error) {
    await ledger.fail(`the job could not be queued: ${(error as Error).message}`);
    throw error;
  }
  return state;
}

/**
 * Handle a `list` message: one page of the prefix into shards. A page whose plan is written is
 * run from it (also page 0 of a key list, which the watchdog sends when the process that started
 * the job stopped before counting it).
 */
export async function listPage(context: JobContext, message: ListMessage): Promise<void> {
  const { host } = context;
  const ledger = host.ledger(message.job);
  const state = await ledger.state();
  if (!state || isTerminal(state.status)) return;
  const pageKey = jobObjects(message.job).page(message.page);
  const written = await readText(host.results, pageKey);
  let plan: PagePlan;
  if (written !== null) {
    plan = JSON.parse(written) as PagePlan;
  } else if (!('prefix' in state.spec.source)) {
    // The keys were only in the request that started the job, and its plan was never written.
    await writeSummaryIfOver(
      host,
      await ledger.fail('the key list was lost: the process starting the job stopped before recording it'),
    );
    return;
  } else {
    const source = host.source(state.spec.source.bucket);
    if (!source) throw new Error(`source bucket "${state.spec.source.bucket}" is no longer available`);
    const listing = await source.list({
      prefix: state.spec.source.prefix,
      limit: LIST_PAGE_SIZE,
      ...(message.cursor ? { cursor: message.cursor } : {}),
    });
    // Keys ending in "/" are folder markers some tools create, not images.
    const keys = listing.objects.map((object) => object.key).filter((key) => !key.endsWith('/'));
    plan = planOf(message.page, keys, state.spec.batchSize, listing.cursor);
  }
  await runPlan(context, message.job, plan);
}
