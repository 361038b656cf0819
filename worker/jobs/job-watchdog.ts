/**
 * The watchdog: what notices a job that stopped moving. Queue messages get lost (a local queue
 * that died with its process, a Node server killed mid-job) and nothing else would notice: the
 * ledger still says `running`. A job is stalled when it has not moved (a page listed, a shard
 * counted; job-ledger.ts `progressAt`) for `DESCRY_JOB_STALL_SECONDS`. Then its outstanding work
 * is rebuilt from what is durable, the ledger and the page plans, and sent again:
 *
 * - every shard listed in a registered page's plan and not counted in the ledger;
 * - the next `list` message while the source is not listed to the end.
 *
 * Sending work that is not lost after all is harmless: a delivery of a counted shard does no
 * work, and a shard delivered twice writes the same object (job-consumer.ts). A job that does not
 * move after `DESCRY_JOB_STALL_ROUNDS` such rounds, or that is behind with nothing left to send
 * (a page plan is gone), is marked `failed` with the reason.
 *
 * The same rebuild resumes jobs when the Node server starts (`resume`: every message of the old
 * process is gone, so nothing waits for the stall time). For a cancelled job, shards that were
 * running and will not land (their process is gone, or they took longer than the stall time) are
 * settled: counted from their shard object if it was written, else moved to `cancelled`.
 *
 * On Workers the Durable Object runs it from an alarm (durable-ledger.ts); on Node a timer in the
 * process does, and the start-up resume (node-job-host.node.ts).
 */
import { parseResultLines } from 'descry';
import type { JobConfig } from './job-config.js';
import type { JobHost } from './job-host.js';
import { isTerminal, type JobLedger, type JobState, tallyOf } from './job-ledger.js';
import type { JobMessage, PagePlan } from './job-messages.js';
import { jobObjects } from './job-spec.js';
import { writeSummaryIfOver } from './job-status.js';
import { readText } from './object-bucket.js';

/** What the watchdog needs: one job's ledger, the results bucket and the queue. */
export interface WatchedJob {
  ledger: JobLedger;
  host: Pick<JobHost, 'results' | 'resultsLocation' | 'enqueue'>;
}

/** What one look at a job did. */
export interface WatchOutcome {
  /** What the job is now (null: no such job). */
  state: JobState | null;
  /** Messages sent again. */
  requeued: number;
  /** When to look again (ms since the epoch); absent once the job needs no watching. */
  next?: number;
}

/** When the job last moved, or the watchdog last acted on it. */
function lastMoved(state: JobState): number {
  const moved = Date.parse(state.progressAt);
  const watched = state.watchdog.at ? Date.parse(state.watchdog.at) : 0;
  return Math.max(moved, watched);
}

async function readPlan(job: WatchedJob, id: string, page: number): Promise<PagePlan | null> {
  const text = await readText(job.host.results, jobObjects(id).page(page));
  return text === null ? null : (JSON.parse(text) as PagePlan);
}

/** The messages that would finish `state`'s job, and what could not be rebuilt. */
async function outstanding(
  job: WatchedJob,
  state: JobState,
): Promise<{ messages: JobMessage[]; lost: string[] }> {
  const id = state.spec.id;
  const messages: JobMessage[] = [];
  const lost: string[] = [];
  for (const page of await job.ledger.openPages()) {
    const plan = await readPlan(job, id, page);
    if (!plan) {
      lost.push(`the plan of page ${page} is missing`);
      continue;
    }
    const open = new Set(await job.ledger.uncounted(plan.shards.map((shard) => shard.shard)));
    for (const { shard, keys } of plan.shards) {
      if (open.has(shard)) messages.push({ kind: 'classify', job: id, shard, keys });
    }
  }
  if (!state.listed) {
    // Pages are registered in order, each sending the next: the next one is `pages`.
    const previous = state.pages > 0 ? await readPlan(job, id, state.pages - 1) : null;
    if (state.pages > 0 && !previous) lost.push(`the plan of page ${state.pages - 1} is missing`);
    else {
      messages.push({
        kind: 'list',
        job: id,
        page: state.pages,
        ...(previous?.next !== undefined ? { cursor: previous.next } : {}),
      });
    }
  }
  return { messages, lost };
}

/** Settle the running shards of a cancelled job that will not land. */
async function settleCancelled(job: WatchedJob, state: JobState): Promise<JobState> {
  let latest = state;
  for (const shard of Object.keys(state.running)) {
    const written = await readText(job.host.results, jobObjects(state.spec.id).shard(shard));
    const after =
      written === null
        ? await job.ledger.abandon(shard)
        : (await job.ledger.complete(shard, tallyOf(parseResultLines(written)))).state;
    if (after) latest = after;
  }
  await writeSummaryIfOver(job.host, latest);
  return latest;
}

async function failJob(job: WatchedJob, reason: string): Promise<JobState | null> {
  const state = await job.ledger.fail(reason);
  await writeSummaryIfOver(job.host, state);
  return state;
}

/**
 * Look at one job at `now` (ms): re-queue its outstanding work if it stalled, or fail it.
 * `resume` (a restart: every earlier message is gone) acts at once and counts no round.
 */
export async function watchJob(
  job: WatchedJob,
  config: Pick<JobConfig, 'stallSeconds' | 'stallRounds'>,
  now: number,
  options: { resume?: boolean } = {},
): Promise<WatchOutcome> {
  const resume = options.resume ?? false;
  const stallMs = config.stallSeconds * 1000;
  let state = await job.ledger.state();
  if (!state) return { state, requeued: 0 };
  if (isTerminal(state.status)) {
    const running = Object.keys(state.running).length > 0;
    if (state.status !== 'cancelled' || !running) return { state, requeued: 0 };
    if (resume || (stallMs > 0 && now - lastMoved(state) >= stallMs)) {
      return { state: await settleCancelled(job, state), requeued: 0 };
    }
    return { state, requeued: 0, next: lastMoved(state) + stallMs };
  }
  if (!resume) {
    if (stallMs === 0) return { state, requeued: 0 };
    const due = lastMoved(state) + stallMs;
    if (now < due) return { state, requeued: 0, next: due };
  }
  const seconds = Math.round((now - Date.parse(state.progressAt)) / 1000);
  const behind = `${state.images.total - state.images.classified - state.images.failed} of ${state.images.total} listed images have no result line`;
  if (!resume && state.watchdog.rounds >= config.stallRounds) {
    state = await failJob(
      job,
      `the job made no progress for ${seconds} s, through ${state.watchdog.rounds} watchdog rounds that re-queued its missing work; ${behind}`,
    );
    return { state, requeued: 0 };
  }
  const { messages, lost } = await outstanding(job, state);
  if (messages.length === 0) {
    state = await failJob(
      job,
      `the job made no progress for ${seconds} s and its missing work cannot be re-queued (${[...new Set(lost)].join('; ') || 'nothing is outstanding'}); ${behind}`,
    );
    return { state, requeued: 0 };
  }
  if (lost.length > 0) console.error(`[descry] job ${state.spec.id}: ${lost.join('; ')}`);
  console.error(
    `[descry] job ${state.spec.id}: ${resume ? 'resuming' : `no progress for ${seconds} s`}, re-queueing ${messages.length} message(s)`,
  );
  await job.host.enqueue(messages);
  state = (await job.ledger.watched(new Date(now).toISOString(), resume)) ?? state;
  return {
    state,
    requeued: messages.length,
    ...(stallMs > 0 && !isTerminal(state.status) ? { next: now + stallMs } : {}),
  };
}
