/**
 * The ledger of one job: its spec, its status and its counts, kept consistent while many
 * consumers finish shards at once, some of them twice.
 *
 * Every change is a read-modify-write of a few small records, so the ledger needs its calls run
 * one at a time. On Workers it lives in a Durable Object per job (durable-ledger.ts), whose
 * input gates give exactly that: no other call is delivered while one awaits storage. That was
 * chosen over R2 compare-and-swap (the adapt path's updateWithRetry) because every shard of a
 * job updates the same counters: with many consumers a CAS record would lose most races and retry
 * with backoff, while the object serialises them without conflicts and answers reads strongly
 * consistently. On Node the same ledger runs over a Map behind a promise chain (serialLedger).
 *
 * Idempotence: a page counts once (`page:{n}`), a shard once (`shard:{name}`, first completion
 * wins), so duplicate deliveries never inflate the counts.
 */
import type { JobSpec } from './job-spec.js';

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
  images: { total: number; classified: number; failed: number };
  /** Failed images per error code. */
  errors: Record<string, number>;
  startedAt?: string;
  finishedAt?: string;
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
  /** Count page `page` (once): its shards and images; `last` when no page follows. */
  registerPage(
    page: number,
    counts: { shards: number; images: number },
    last: boolean,
  ): Promise<JobState | null>;
  /** Whether a consumer should classify `shard` now: not when it is done or the job is over. */
  begin(shard: string): Promise<{ run: boolean; state: JobState | null }>;
  /** Count `shard` (once); `deadLettered` gives the reason when its lines are failure lines. */
  complete(
    shard: string,
    tally: ShardTally,
    deadLettered?: string,
  ): Promise<{ counted: boolean; state: JobState | null }>;
  /** Remember why the latest attempt at `shard` failed (reported if it is dead-lettered). */
  recordFailure(shard: string, reason: string): Promise<void>;
  /** The latest failure recorded for `shard`. */
  lastFailure(shard: string): Promise<string | null>;
  /** End the job as failed (its listing could not be done). */
  fail(reason: string): Promise<JobState | null>;
  /** End the job as cancelled, unless it is over; answers the state either way. */
  cancel(): Promise<JobState | null>;
}

/** The storage a ledger needs: Durable Object storage has exactly this shape. */
export interface LedgerStorage {
  get<T>(key: string): Promise<T | undefined>;
  put(entries: Record<string, unknown>): Promise<void>;
}

const TERMINAL: ReadonlySet<JobStatus> = new Set(['completed', 'cancelled', 'failed']);
const MAX_DEAD_LETTERS = 100;

/** Whether no more work will be done for a job in `status`. */
export function isTerminal(status: JobStatus): boolean {
  return TERMINAL.has(status);
}

/** A ledger over `storage`; callers must run its calls one at a time (see the header). */
export function jobLedger(storage: LedgerStorage): JobLedger {
  const read = () => storage.get<JobState>('job');
  const now = () => new Date().toISOString();

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
        images: { total: 0, classified: 0, failed: 0 },
        errors: {},
        deadLetters: [],
      };
      await storage.put({ job: state });
      return state;
    },

    state: async () => (await read()) ?? null,

    async registerPage(page, counts, last) {
      const state = await read();
      if (!state || (await storage.get(`page:${page}`))) return state ?? null;
      state.pages += 1;
      state.shards.total += counts.shards;
      state.images.total += counts.images;
      if (last) state.listed = true;
      await storage.put({ job: settle(state), [`page:${page}`]: counts });
      return state;
    },

    async begin(shard) {
      const state = await read();
      if (!state || isTerminal(state.status) || (await storage.get(`shard:${shard}`))) {
        return { run: false, state: state ?? null };
      }
      if (!state.startedAt) {
        state.startedAt = now();
        await storage.put({ job: state });
      }
      return { run: true, state };
    },

    async complete(shard, tally, deadLettered) {
      const state = await read();
      if (!state || (await storage.get(`shard:${shard}`))) return { counted: false, state: state ?? null };
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
      await storage.put({
        job: settle(state),
        [`shard:${shard}`]: { ...tally, ...(deadLettered ? { deadLettered } : {}) },
      });
      return { counted: true, state };
    },

    async recordFailure(shard, reason) {
      await storage.put({ [`failure:${shard}`]: reason });
    },

    lastFailure: async (shard) => (await storage.get<string>(`failure:${shard}`)) ?? null,

    async fail(reason) {
      const state = await read();
      if (!state || isTerminal(state.status)) return state ?? null;
      state.status = 'failed';
      state.failure = reason;
      state.finishedAt = now();
      await storage.put({ job: state });
      return state;
    },

    async cancel() {
      const state = await read();
      if (!state || isTerminal(state.status)) return state ?? null;
      state.status = 'cancelled';
      state.finishedAt = now();
      await storage.put({ job: state });
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
  return {
    create: serial(ledger.create),
    state: serial(ledger.state),
    registerPage: serial(ledger.registerPage),
    begin: serial(ledger.begin),
    complete: serial(ledger.complete),
    recordFailure: serial(ledger.recordFailure),
    lastFailure: serial(ledger.lastFailure),
    fail: serial(ledger.fail),
    cancel: serial(ledger.cancel),
  };
}

/** Ledger storage in a Map (Node; values are copied, as a real store would). */
export function memoryLedgerStorage(): LedgerStorage {
  const values = new Map<string, unknown>();
  return {
    get: async <T>(key: string) => (values.has(key) ? (structuredClone(values.get(key)) as T) : undefined),
    put: async (entries) => {
      for (const [key, value] of Object.entries(entries)) values.set(key, structuredClone(value));
    },
  };
}
