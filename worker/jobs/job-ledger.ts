/**
 * The ledger of one job: its spec, its status and its counts, kept consistent while many
 * consumers finish shards at once, some of them twice, and while the watchdog re-queues what went
 * missing.
 *
 * Every change is a read-modify-write of a few small records, so the ledger needs its calls run
 * one at a time. On Workers it lives in a Durable Object per job (durable-ledger.ts), whose
 * input gates give exactly that: no other call is delivered while one awaits storage. That was
 * chosen over R2 compare-and-swap (the adapt path's updateWithRetry) because every shard of a
 * job updates the same counters: with many consumers a CAS record would lose most races and retry
 * with backoff, while the object serialises them without conflicts and answers reads strongly
 * consistently. On Node the same ledger runs behind a promise chain (serialLedger), over a log
 * file per job under the data folder (ledger-file.node.ts) or a Map without one.
 *
 * Idempotence: a page counts once (`page:{n}`), a shard once (`shard:{name}`, first completion
 * wins), so duplicate deliveries never inflate the counts. Every change that counts is written in
 * one `put`, so a crash between two calls leaves a ledger that is consistent, only behind: the
 * work it does not count is re-queued (job-watchdog.ts) and done again, into the same shard.
 *
 * Cancellation is exact: the images of shards that never began are `cancelled`; shards running
 * when the job was cancelled (`running`) may still land and are counted when they do; one that a
 * later delivery, the watchdog or a restart finds will not land is moved to `cancelled` (and back,
 * should it land after all). So `total = classified + failed + cancelled + images in flight`.
 */
import { type ResultLine, tallyResultLines } from 'descry';
import { type JobSpec, pageOfShard } from './job-spec.js';

/** Where a job is. Terminal: completed, cancelled, failed. */
export type JobStatus = 'listing' | 'running' | 'completed' | 'cancelled' | 'failed';

/** Everything the ledger knows about a job. */
export interface JobState {
  spec: JobSpec;
  status: JobStatus;
  /** Every page of the source is registered: `shards.total` and `images.total` are final. */
  listed: boolean;
  pages: number;
  shards: { total: number; done: number; deadLettered: number };
  /** `cancelled`: images of a cancelled job that were never classified and never will be. */
  images: { total: number; classified: number; failed: number; cancelled: number };
  /** Shards a consumer began and nobody counted yet, with their image counts. */
  running: Record<string, number>;
  /** Failed images per error code. */
  errors: Record<string, number>;
  startedAt?: string;
  finishedAt?: string;
  /** The last time the job moved: created, a page listed, a shard counted. */
  progressAt: string;
  /** Watchdog re-queues since the job last moved, and when the latest was. */
  watchdog: { rounds: number; at?: string };
  /** Why the job failed (status failed). */
  failure?: string;
  /** Shards that went to the dead-letter queue, and why (the first 100). */
  deadLetters: Array<{ shard: string; reason: string }>;
}

/** What one shard's lines hold. */
export interface ShardTally {
  classified: number;
  failed: number;
  errors: Record<string, number>;
}

/** The ledger's operations; every argument and result is plain JSON. */
export interface JobLedger {
  /** Record a new job; returns the existing state when it was recorded already. */
  create(spec: JobSpec): Promise<JobState>;
  /** The state, or null for an unknown job. */
  state(): Promise<JobState | null>;
  /** Count page `page` (once): its shards and images; `last` when no page follows. Not once the job is over. */
  registerPage(
    page: number,
    counts: { shards: number; images: number },
    last: boolean,
  ): Promise<JobState | null>;
  /**
   * Whether a consumer should classify `shard` (of `images` images) now: not when it is counted
   * or the job is over. A running shard of a cancelled job that a delivery finds is given up.
   */
  begin(shard: string, images: number): Promise<{ run: boolean; state: JobState | null }>;
  /** Count `shard` (once); `deadLettered` gives the reason when its lines are failure lines. */
  complete(
    shard: string,
    tally: ShardTally,
    deadLettered?: string,
  ): Promise<{ counted: boolean; state: JobState | null }>;
  /** Give up a running shard of a cancelled job: its images become `cancelled` (until it lands). */
  abandon(shard: string): Promise<JobState | null>;
  /** Remember why the latest attempt at `shard` failed (reported if it is dead-lettered). */
  recordFailure(shard: string, reason: string): Promise<void>;
  /** The latest failure recorded for `shard`. */
  lastFailure(shard: string): Promise<string | null>;
  /** Registered pages some of whose shards are not counted yet. */
  openPages(): Promise<number[]>;
  /** Those of `shards` that are not counted. */
  uncounted(shards: readonly string[]): Promise<string[]>;
  /** Record a watchdog round that re-queued work; `resumed` (a restart) does not count as a round. */
  watched(at: string, resumed: boolean): Promise<JobState | null>;
  /** End the job as failed (its listing could not be done, or it stalled). */
  fail(reason: string): Promise<JobState | null>;
  /** End the job as cancelled, unless it is over; answers the state either way. */
  cancel(): Promise<JobState | null>;
}

/** Every operation of {@link JobLedger}, for hosts that forward or wrap them. */
export const LEDGER_OPERATIONS = [
  'create',
  'state',
  'registerPage',
  'begin',
  'complete',
  'abandon',
  'recordFailure',
  'lastFailure',
  'openPages',
  'uncounted',
  'watched',
  'fail',
  'cancel',
] as const satisfies ReadonlyArray<keyof JobLedger>;

/** The storage a ledger needs: Durable Object storage has exactly this shape. */
export interface LedgerStorage {
  get<T>(key: string): Promise<T | undefined>;
  put(entries: Record<string, unknown>): Promise<void>;
}

/** A registered page: its size, and how many of its shards are counted. */
interface PageRecord {
  shards: number;
  images: number;
  done?: number;
}

/** A shard's record: its tally once counted, or `cancelled` when it was given up. */
type ShardRecord = (ShardTally & { deadLettered?: string }) | { cancelled: number };

const TERMINAL: ReadonlySet<JobStatus> = new Set(['completed', 'cancelled', 'failed']);
const MAX_DEAD_LETTERS = 100;

/** Whether no more work will be done for a job in `status`. */
export function isTerminal(status: JobStatus): boolean {
  return TERMINAL.has(status);
}

/** What `lines` hold, as the ledger counts a shard. */
export function tallyOf(lines: readonly ResultLine[]): ShardTally {
  const { classified, failed, errors } = tallyResultLines(lines);
  return { classified, failed, errors };
}

/** Images of `state` still in flight: begun, neither counted nor given up. */
export function imagesInFlight(state: JobState): number {
  return Object.values(state.running).reduce((sum, n) => sum + n, 0);
}

const isCancelled = (record: ShardRecord | undefined): record is { cancelled: number } =>
  record !== undefined && 'cancelled' in record;

/** A state as stored by any version: fields added later get their neutral values. */
function upgrade(state: JobState): JobState {
  state.images.cancelled ??= 0;
  state.running ??= {};
  state.progressAt ??= state.startedAt ?? state.spec.createdAt;
  state.watchdog ??= { rounds: 0 };
  return state;
}

/**
 * What a ledger reports as it happens, once per change it records (a duplicate delivery or a call
 * on a job that is over reports nothing): a job created (`started`), ended (`completed`, `failed`,
 * `cancelled`), a shard counted (`shard_done`) or dead-lettered (`shard_failed`). The Node host
 * turns them into /metrics counters (../service/observer.ts).
 */
export type JobEvent = 'started' | 'completed' | 'failed' | 'cancelled' | 'shard_done' | 'shard_failed';

/**
 * A ledger over `storage`; callers must run its calls one at a time (see the header). `onEvent`
 * hears each {@link JobEvent} after the change is stored.
 */
export function jobLedger(storage: LedgerStorage, onEvent: (event: JobEvent) => void = () => {}): JobLedger {
  const read = async () => {
    const state = await storage.get<JobState>('job');
    return state ? upgrade(state) : undefined;
  };
  const shardRecord = (shard: string) => storage.get<ShardRecord>(`shard:${shard}`);
  const now = () => new Date().toISOString();

  /** The job moved: the watchdog starts counting again. */
  function moved(state: JobState): void {
    state.progressAt = now();
    state.watchdog = { rounds: 0 };
  }

  /** Completed once every listed shard is done or dead-lettered. */
  function settle(state: JobState): JobState {
    if (state.status === 'listing' && state.listed) state.status = 'running';
    const finished = state.shards.done + state.shards.deadLettered >= state.shards.total;
    if (state.listed && finished && !isTerminal(state.status)) {
      state.status = 'completed';
      state.finishedAt = now();
    }
    return state;
  }

  return {
    async create(spec) {
      const existing = await read();
      if (existing) return existing;
      const state: JobState = {
        spec,
        status: 'listing',
        listed: false,
        pages: 0,
        shards: { total: 0, done: 0, deadLettered: 0 },
        images: { total: 0, classified: 0, failed: 0, cancelled: 0 },
        running: {},
        errors: {},
        progressAt: now(),
        watchdog: { rounds: 0 },
        deadLetters: [],
      };
      await storage.put({ job: state });
      onEvent('started');
      return state;
    },

    state: async () => (await read()) ?? null,

    async registerPage(page, counts, last) {
      const state = await read();
      if (!state || isTerminal(state.status) || (await storage.get(`page:${page}`))) return state ?? null;
      state.pages += 1;
      state.shards.total += counts.shards;
      state.images.total += counts.images;
      if (last) state.listed = true;
      moved(state);
      const record: PageRecord = { ...counts, done: 0 };
      await storage.put({ job: settle(state), [`page:${page}`]: record });
      if (state.status === 'completed') onEvent('completed');
      return state;
    },

    async begin(shard, images) {
      const state = await read();
      if (!state) return { run: false, state: null };
      const record = await shardRecord(shard);
      if (record !== undefined && !isCancelled(record)) return { run: false, state };
      if (isTerminal(state.status)) {
        // A delivery after the cancellation: if the shard was running, it will not land now.
        if (state.status === 'cancelled' && shard in state.running) {
          const given = state.running[shard]!;
          delete state.running[shard];
          state.images.cancelled += given;
          await storage.put({ job: state, [`shard:${shard}`]: { cancelled: given } });
        }
        return { run: false, state };
      }
      if (!(shard in state.running) || !state.startedAt) {
        state.running[shard] = images;
        state.startedAt ??= now();
        await storage.put({ job: state });
      }
      return { run: true, state };
    },

    async complete(shard, tally, deadLettered) {
      const state = await read();
      if (!state) return { counted: false, state: null };
      const record = await shardRecord(shard);
      if (record !== undefined && !isCancelled(record)) return { counted: false, state };
      if (isCancelled(record)) {
        // Given up, and it landed after all.
        state.images.cancelled -= record.cancelled;
      } else if (state.status === 'cancelled' && !(shard in state.running)) {
        // Never began before the cancellation: its images are counted as cancelled already.
        return { counted: false, state };
      }
      const wasOver = isTerminal(state.status);
      delete state.running[shard];
      if (deadLettered === undefined) state.shards.done += 1;
      else {
        state.shards.deadLettered += 1;
        if (state.deadLetters.length < MAX_DEAD_LETTERS)
          state.deadLetters.push({ shard, reason: deadLettered });
      }
      state.images.classified += tally.classified;
      state.images.failed += tally.failed;
      for (const [code, n] of Object.entries(tally.errors))
        state.errors[code] = (state.errors[code] ?? 0) + n;
      moved(state);
      const entries: Record<string, unknown> = {
        job: settle(state),
        [`shard:${shard}`]: { ...tally, ...(deadLettered ? { deadLettered } : {}) },
      };
      const page = pageOfShard(shard);
      const pageRecord = page === undefined ? undefined : await storage.get<PageRecord>(`page:${page}`);
      if (pageRecord?.done !== undefined) {
        entries[`page:${page}`] = { ...pageRecord, done: pageRecord.done + 1 };
      }
      await storage.put(entries);
      onEvent(deadLettered === undefined ? 'shard_done' : 'shard_failed');
      if (!wasOver && state.status === 'completed') onEvent('completed');
      return { counted: true, state };
    },

    async abandon(shard) {
      const state = await read();
      if (state?.status !== 'cancelled' || !(shard in state.running)) return state ?? null;
      const given = state.running[shard]!;
      delete state.running[shard];
      state.images.cancelled += given;
      await storage.put({ job: state, [`shard:${shard}`]: { cancelled: given } });
      return state;
    },

    async recordFailure(shard, reason) {
      // Only for a job that exists: a stray message must not create records.
      if (await storage.get('job')) await storage.put({ [`failure:${shard}`]: reason });
    },

    lastFailure: async (shard) => (await storage.get<string>(`failure:${shard}`)) ?? null,

    async openPages() {
      const state = await read();
      const open: number[] = [];
      for (let page = 0; page < (state?.pages ?? 0); page++) {
        const record = await storage.get<PageRecord>(`page:${page}`);
        // A page recorded before pages counted their shards is checked shard by shard.
        if (!record || record.done === undefined || record.done < record.shards) open.push(page);
      }
      return open;
    },

    async uncounted(shards) {
      const open: string[] = [];
      for (const shard of shards) {
        const record = await shardRecord(shard);
        if (record === undefined || isCancelled(record)) open.push(shard);
      }
      return open;
    },

    async watched(at, resumed) {
      const state = await read();
      if (!state || isTerminal(state.status)) return state ?? null;
      state.watchdog = { rounds: state.watchdog.rounds + (resumed ? 0 : 1), at };
      await storage.put({ job: state });
      return state;
    },

    async fail(reason) {
      const state = await read();
      if (!state || isTerminal(state.status)) return state ?? null;
      state.status = 'failed';
      state.failure = reason;
      state.finishedAt = now();
      await storage.put({ job: state });
      onEvent('failed');
      return state;
    },

    async cancel() {
      const state = await read();
      if (!state || isTerminal(state.status)) return state ?? null;
      state.status = 'cancelled';
      state.finishedAt = now();
      const { total, classified, failed } = state.images;
      // Every listed image not classified, not failed and not in flight will never start.
      state.images.cancelled = total - classified - failed - imagesInFlight(state);
      await storage.put({ job: state });
      onEvent('cancelled');
      return state;
    },
  };
}

/** A ledger whose calls run one after another, for hosts without input gates (Node). */
export function serialLedger(ledger: JobLedger): JobLedger {
  let tail: Promise<unknown> = Promise.resolve();
  const serial =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      const result = tail.then(() => call(...args));
      tail = result.catch(() => undefined);
      return result;
    };
  return Object.fromEntries(
    LEDGER_OPERATIONS.map((operation) => [
      operation,
      serial(ledger[operation] as (...args: unknown[]) => Promise<unknown>),
    ]),
  ) as unknown as JobLedger;
}

/** Ledger storage in a Map (Node without a data folder; values are copied, as a real store would). */
export function memoryLedgerStorage(): LedgerStorage {
  const values = new Map<string, unknown>();
  return {
    get: async <T>(key: string) => (values.has(key) ? (structuredClone(values.get(key)) as T) : undefined),
    put: async (entries) => {
      for (const [key, value] of Object.entries(entries)) values.set(key, structuredClone(value));
    },
  };
}
