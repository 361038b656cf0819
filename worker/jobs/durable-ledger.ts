/**
 * The job ledger in a Durable Object, one object per job (named by the job id), and the client
 * that calls it. The object answers plain fetch requests, `POST /{operation}` with the arguments
 * as a JSON array, rather than RPC on `DurableObject` from `cloudflare:workers`: that import
 * exists only inside workerd, and `descry/worker` must stay importable by other hosts.
 *
 * The object also runs its job's watchdog (job-watchdog.ts) from an alarm: set when the job is
 * created (or, for a job older than the watchdog, when a shard begins), it fires `DESCRY_JOB_STALL_SECONDS` after the job last moved, re-queues the job's missing
 * work through the object's own `JOB_QUEUE` and `JOB_RESULTS` bindings (or fails the job), and
 * sets itself again until the job is over. Alarms are durable and retried by the runtime, so a
 * job whose messages were all lost is still noticed.
 */
import type { WorkerBindings } from '../hosts/bindings.js';
import { readJobConfig } from './job-config.js';
import { isTerminal, type JobLedger, jobLedger, LEDGER_OPERATIONS } from './job-ledger.js';
import { queueSender } from './job-messages.js';
import { watchJob } from './job-watchdog.js';
import { r2ObjectBucket } from './object-bucket.js';

const OPERATIONS = new Set<string>(LEDGER_OPERATIONS);
/** Operations after which the job's alarm must be set. */
const WATCHED_AFTER = new Set<string>(['create', 'registerPage', 'begin']);

/**
 * The Durable Object class of the job ledger. Export it from the Worker's main module and bind
 * it as `JOBS` (see wrangler.toml).
 */
export class JobCoordinator implements DurableObject {
  readonly #state: DurableObjectState;
  readonly #env: WorkerBindings;
  readonly #ledger: JobLedger;

  constructor(state: DurableObjectState, env: unknown) {
    this.#state = state;
    this.#env = (env ?? {}) as WorkerBindings;
    this.#ledger = jobLedger(state.storage);
  }

  async fetch(request: Request): Promise<Response> {
    const operation = new URL(request.url).pathname.slice(1) as keyof JobLedger;
    if (request.method !== 'POST' || !OPERATIONS.has(operation)) {
      return new Response('unknown ledger operation', { status: 404 });
    }
    const args = (await request.json()) as unknown[];
    const call = this.#ledger[operation] as (...args: unknown[]) => Promise<unknown>;
    const result = await call(...args);
    // Jobs created before the watchdog existed get their alarm from their next shard.
    if (WATCHED_AFTER.has(operation)) await this.#watch();
    return Response.json({ result: result ?? null });
  }

  /** The watchdog's turn: look at the job, and come back while it is not over. */
  async alarm(): Promise<void> {
    const config = this.#config();
    const { JOB_QUEUE: queue, JOB_RESULTS: results } = this.#env;
    if (!config || config.stallSeconds === 0 || !queue || !results) return;
    const outcome = await watchJob(
      {
        ledger: this.#ledger,
        host: {
          results: r2ObjectBucket(results),
          resultsLocation: 'JOB_RESULTS',
          enqueue: queueSender(queue),
        },
      },
      config,
      Date.now(),
    );
    if (outcome.next !== undefined) await this.#state.storage.setAlarm(outcome.next);
  }

  /** Set the first alarm of a job that is not over, unless one is set. */
  async #watch(): Promise<void> {
    const config = this.#config();
    if (!config || config.stallSeconds === 0) return;
    const state = await this.#ledger.state();
    if (!state || isTerminal(state.status)) return;
    if ((await this.#state.storage.getAlarm()) === null) {
      await this.#state.storage.setAlarm(Date.now() + config.stallSeconds * 1000);
    }
  }

  #config() {
    try {
      return readJobConfig(this.#env as unknown as Record<string, unknown>);
    } catch (error) {
      console.error('[descry] the job watchdog cannot read its configuration', error);
      return undefined;
    }
  }
}

/** The ledger of job `id` in `namespace` (the `JOBS` binding). */
export function durableLedger(namespace: DurableObjectNamespace, id: string): JobLedger {
  const stub = namespace.get(namespace.idFromName(id));
  const call =
    (operation: keyof JobLedger) =>
    async (...args: unknown[]) => {
      const response = await stub.fetch(`https://job-ledger/${operation}`, {
        method: 'POST',
        body: JSON.stringify(args),
      });
      if (!response.ok) throw new Error(`job ledger ${operation} answered ${response.status}`);
      const { result } = (await response.json()) as { result: unknown };
      return result;
    };
  // Each operation's result crosses the wire as JSON: the types are the ledger's own.
  return Object.fromEntries(
    LEDGER_OPERATIONS.map((operation) => [operation, call(operation)]),
  ) as unknown as JobLedger;
}
