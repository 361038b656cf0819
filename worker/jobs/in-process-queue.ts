/**
 * A queue in the process, for hosts without Cloudflare Queues (the Node server): the same
 * delivery contract as the Worker's queue handler (at least once, retries with exponential
 * backoff, dead-lettering after `maxAttempts`), with messages held in memory. Messages do not
 * survive a restart of the process; jobs do: with a data folder the Node host rebuilds their
 * outstanding messages from the ledger and the page plans when it starts (node-job-host.node.ts).
 */
import { type JobConfig, retryDelay } from './job-config.js';
import type { JobConsumer } from './job-consumer.js';
import type { JobMessage } from './job-messages.js';

/** The queue: `enqueue` for the host, `consume` to attach the consumer. */
export interface InProcessQueue {
  enqueue(messages: readonly JobMessage[]): Promise<void>;
  consume(consumer: JobConsumer): void;
  /** Resolves when no message is waiting, running or due for a retry. */
  idle(): Promise<void>;
  /** Messages of job `job` waiting for a delivery or a retry (not those running). */
  waiting(job: string): number;
  /** When a delivery last finished (ms since the epoch), or when the queue was made. */
  lastSettled(): number;
  /** Stop: pending retries are dropped. */
  close(): void;
}

interface Entry {
  message: JobMessage;
  attempts: number;
}

/** A queue running `concurrency` deliveries at a time (default 1: classification is CPU-bound). */
export function inProcessQueue(config: JobConfig, concurrency = 1): InProcessQueue {
  const ready: Entry[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let consumer: JobConsumer | undefined;
  let running = 0;
  let closed = false;
  let waiters: Array<() => void> = [];
  const perJob = new Map<string, number>();
  let settledAt = Date.now();

  const count = (job: string, delta: number) => {
    const n = (perJob.get(job) ?? 0) + delta;
    if (n > 0) perJob.set(job, n);
    else perJob.delete(job);
  };

  const settleIfIdle = () => {
    if (ready.length === 0 && running === 0 && timers.size === 0) {
      for (const resolve of waiters) resolve();
      waiters = [];
    }
  };

  async function deliver(entry: Entry, worker: JobConsumer): Promise<void> {
    entry.attempts += 1;
    try {
      await worker.deliver(entry.message);
    } catch (error) {
      console.error(`[descry] job ${entry.message.job}: delivery ${entry.attempts} failed`, error);
      await worker.failed(entry.message, error).catch(() => undefined);
      if (entry.attempts >= config.maxAttempts) {
        await worker.deadLetter(entry.message).catch((failure: unknown) => {
          console.error(`[descry] job ${entry.message.job}: dead-lettering failed`, failure);
        });
        return;
      }
      count(entry.message.job, 1);
      const timer = setTimeout(() => {
        timers.delete(timer);
        ready.push(entry);
        pump();
      }, retryDelay(config, entry.attempts) * 1000);
      timers.add(timer);
    }
  }

  function pump(): void {
    while (!closed && consumer && running < concurrency && ready.length > 0) {
      const entry = ready.shift()!;
      count(entry.message.job, -1);
      running += 1;
      void deliver(entry, consumer).finally(() => {
        running -= 1;
        settledAt = Date.now();
        pump();
        settleIfIdle();
      });
    }
    settleIfIdle();
  }

  return {
    async enqueue(messages) {
      if (closed) throw new Error('the job queue is closed');
      for (const message of messages) {
        ready.push({ message: structuredClone(message), attempts: 0 });
        count(message.job, 1);
      }
      queueMicrotask(pump);
    },
    consume(worker) {
      consumer = worker;
      pump();
    },
    idle: () =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        settleIfIdle();
      }),
    waiting: (job) => perJob.get(job) ?? 0,
    lastSettled: () => settledAt,
    close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      ready.length = 0;
      perJob.clear();
      settleIfIdle();
    },
  };
}
