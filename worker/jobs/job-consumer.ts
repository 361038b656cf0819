/**
 * The consumer side of a job: one delivery of a `classify` message reads its images from the
 * source bucket, classifies them with the job's snapshotted classifier (decoded once per isolate
 * and job), writes the shard of result lines, and counts it in the ledger.
 *
 * What fails where:
 * - an image that is missing, too large or undecodable is an error line in the shard: the
 *   delivery succeeds, so a bad image never causes a retry;
 * - anything else (a bucket or the ledger unreachable, the model not loading) throws: the queue
 *   retries the message with backoff, and the reason is recorded in the ledger;
 * - a message that keeps failing reaches the dead-letter queue: its images get `dead_lettered`
 *   lines carrying the recorded reason, so every image of the job is still accounted for.
 *
 * Exactly once per image key: a shard's name is fixed by its page and position, so a duplicate
 * delivery rewrites the same object with the same lines; the ledger counts a shard once; and a
 * delivery of a shard already counted does no work at all.
 */
import {
  type ClassifyOptions,
  type CompiledClassifier,
  classifyBatch,
  errorLine,
  formatResultLines,
  InvalidInputError,
  isDescryError,
  type KeyedImage,
  parseResultLines,
  type ResultLine,
} from 'descry';
import { decodeTfupCache } from 'descry/predictors';
import { INFERENCE_BATCH } from '../service/batches.js';
import type { ServiceDeps } from '../service/deps.js';
import { serviceOf } from '../service/service.js';
import type { JobContext } from './job-context.js';
import { tallyOf } from './job-ledger.js';
import type { ClassifyMessage, JobMessage } from './job-messages.js';
import { listPage } from './job-producer.js';
import { type JobSpec, jobObjects } from './job-spec.js';
import { writeSummaryIfOver } from './job-status.js';
import { type ObjectBucket, readText } from './object-bucket.js';

/** Error code of the lines of a dead-lettered shard. */
export const DEAD_LETTERED = 'dead_lettered';
/** Jobs whose classifier stays decoded in an isolate. */
const PREPARED_JOBS = 16;
/** Source objects read at once (Workers allow six open connections per invocation). */
const READ_CONCURRENCY = 6;

/** How a host's queue drives job work. */
export interface JobConsumer {
  /** Do the work of one delivery; throws when the delivery should be retried. */
  deliver(message: JobMessage): Promise<void>;
  /** Remember why a delivery failed. */
  failed(message: JobMessage, error: unknown): Promise<void>;
  /** Account for a message that will not be delivered again (it reached the dead-letter queue). */
  deadLetter(message: JobMessage): Promise<void>;
}

interface Prepared {
  classifier: CompiledClassifier;
  options: ClassifyOptions;
}

/** The ledger key of a message's failures: its shard, or its page for a listing. */
function workName(message: JobMessage): string {
  return message.kind === 'classify' ? message.shard : `list-${message.page}`;
}

function reasonOf(error: unknown): string {
  const text = isDescryError(error)
    ? `${error.code}: ${error.message}`
    : String((error as Error)?.message ?? error);
  return text.slice(0, 500);
}

/** Read `keys` from `source`; objects that are missing or too large become error lines. */
async function readImages(
  source: ObjectBucket,
  keys: readonly string[],
  maxBytes: number,
): Promise<{ items: KeyedImage[]; unreadable: ResultLine[] }> {
  const items: KeyedImage[] = [];
  const unreadable: ResultLine[] = [];
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      const object = await source.get(key).catch((error: unknown) => {
        // A key this bucket cannot address is that image's problem; anything else is the bucket's.
        if (error instanceof InvalidInputError) return error;
        throw error;
      });
      if (object instanceof InvalidInputError) {
        unreadable.push(errorLine(key, object));
      } else if (object === null) {
        unreadable.push(
          errorLine(key, { code: 'not_found', message: `no object "${key}" in the source bucket` }),
        );
      } else if (object.size > maxBytes) {
        await object.discard();
        unreadable.push(
          errorLine(key, {
            code: 'image_too_large',
            message: `the object is ${object.size} bytes, more than the limit of ${maxBytes}`,
          }),
        );
      } else {
        items.push({ key, image: await object.bytes() });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, keys.length) }, worker));
  return { items, unreadable };
}

/** The consumer of `context`'s jobs; it keeps decoded classifiers for the isolate's lifetime. */
export function jobConsumer(context: JobContext): JobConsumer {
  const { host, service } = context;
  const { inference } = service;
  const prepared = new Map<string, Promise<Prepared>>();

  /** The job's classifier and method options, loaded once per isolate. */
  function prepare(spec: JobSpec): Promise<Prepared> {
    let entry = prepared.get(spec.id);
    if (!entry) {
      entry = (async () => {
        const engine = await inference.engine();
        const objects = jobObjects(spec.id);
        const bytes = await host.results.get(objects.classifier);
        if (!bytes) throw new Error(`the classifier snapshot of ${spec.id} is missing`);
        const classifier = engine.loadClassifier(await bytes.bytes());
        let options: ClassifyOptions = {};
        if (spec.method === 'tfup') {
          const tfup = await host.results.get(objects.tfup);
          if (tfup) options = { tfup: { cache: decodeTfupCache(await tfup.bytes()) } };
        } else if (spec.method === 'fudd') {
          options = await service.resources.optionsFor('fudd', undefined);
        }
        return { classifier, options };
      })();
      entry.catch(() => prepared.delete(spec.id));
      prepared.set(spec.id, entry);
      if (prepared.size > PREPARED_JOBS) prepared.delete(prepared.keys().next().value!);
    }
    return entry;
  }

  async function classifyShard(message: ClassifyMessage): Promise<void> {
    const ledger = host.ledger(message.job);
    const { run, state } = await ledger.begin(message.shard, message.keys.length);
    if (!run) {
      // Done already, or the job is over: a repeated delivery may still owe the summary.
      await writeSummaryIfOver(host, state);
      return;
    }
    const { spec } = state!;
    const source = host.source(spec.source.bucket);
    if (!source) throw new Error(`source bucket "${spec.source.bucket}" is no longer available`);
    const { classifier, options } = await prepare(spec);
    const engine = await inference.engine();
    const { items, unreadable } = await readImages(source, message.keys, service.config.limits.maxBodyBytes);
    // Jobs take turns with requests at the same gate, a few images per encoder run (./batches.ts).
    const classified = await classifyBatch(engine, items, classifier, {
      ...options,
      ...inference.run(),
      method: spec.method,
      topK: spec.topK,
      ...(spec.maxSetSize === undefined ? {} : { maxSetSize: spec.maxSetSize }),
      batchSize: INFERENCE_BATCH,
      ...(spec.background === undefined ? {} : { background: spec.background }),
    });
    const byKey = new Map([...classified, ...unreadable].map((line) => [line.key, line]));
    const lines = message.keys.map((key) => byKey.get(key)!);
    await host.results.put(jobObjects(spec.id).shard(message.shard), formatResultLines(lines));
    const { state: after } = await ledger.complete(message.shard, tallyOf(lines));
    await writeSummaryIfOver(host, after);
  }

  return {
    async deliver(message) {
      if (message.kind === 'list') await listPage(context, message);
      else await classifyShard(message);
    },

    async failed(message, error) {
      await host.ledger(message.job).recordFailure(workName(message), reasonOf(error));
    },

    async deadLetter(message) {
      const ledger = host.ledger(message.job);
      const reason = (await ledger.lastFailure(workName(message))) ?? 'the message failed on every delivery';
      if (message.kind === 'list') {
        await writeSummaryIfOver(host, await ledger.fail(`listing page ${message.page} failed: ${reason}`));
        return;
      }
      const state = await ledger.state();
      if (!state) return;
      if (state.status === 'cancelled' && !(message.shard in state.running)) {
        // Never began before the cancellation: its images are counted as cancelled, not failed.
        return;
      }
      const key = jobObjects(message.job).shard(message.shard);
      const lines = message.keys.map((k) => errorLine(k, { code: DEAD_LETTERED, message: reason }));
      let outcome: Awaited<ReturnType<typeof ledger.complete>>;
      if (await host.results.put(key, formatResultLines(lines), { onlyIfAbsent: true })) {
        outcome = await ledger.complete(message.shard, tallyOf(lines), reason);
      } else {
        // A delivery wrote the shard and then failed to count it: its lines stand, counted now.
        const written = parseResultLines((await readText(host.results, key)) ?? '');
        outcome = await ledger.complete(message.shard, tallyOf(written));
      }
      await writeSummaryIfOver(host, outcome.state);
    },
  };
}

/** The job consumer of a service whose host has jobs configured. */
export function serviceJobConsumer(deps: ServiceDeps): JobConsumer {
  const host = deps.jobs;
  if (!host) throw new Error('batch jobs are not configured (JOB_QUEUE, JOBS and JOB_RESULTS on Workers)');
  return jobConsumer({ host, service: serviceOf(deps) });
}
