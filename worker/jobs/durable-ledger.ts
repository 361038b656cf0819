/**
 * The job ledger in a Durable Object, one object per job (named by the job id), and the client
 * that calls it. The object answers plain fetch requests, `POST /{operation}` with the arguments
 * as a JSON array, rather than RPC on `DurableObject` from `cloudflare:workers`: that import
 * exists only inside workerd, and `descry/worker` must stay importable by other hosts.
 */
import { type JobLedger, jobLedger } from './job-ledger.js';

const OPERATIONS = new Set<keyof JobLedger>([
  'create',
  'state',
  'registerPage',
  'begin',
  'complete',
  'recordFailure',
  'lastFailure',
  'fail',
  'cancel',
]);

/**
 * The Durable Object class of the job ledger. Export it from the Worker's main module and bind
 * it as `JOBS` (see wrangler.toml).
 */
export class JobCoordinator implements DurableObject {
  readonly #ledger: JobLedger;

  constructor(state: DurableObjectState, _env: unknown) {
    this.#ledger = jobLedger(state.storage);
  }

  async fetch(request: Request): Promise<Response> {
    const operation = new URL(request.url).pathname.slice(1) as keyof JobLedger;
    if (request.method !== 'POST' || !OPERATIONS.has(operation)) {
      return new Response('unknown ledger operation', { status: 404 });
    }
    const args = (await request.json()) as unknown[];
    const call = this.#ledger[operation] as (...args: unknown[]) => Promise<unknown>;
    return Response.json({ result: (await call(...args)) ?? null });
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
    [...OPERATIONS].map((operation) => [operation, call(operation)]),
  ) as unknown as JobLedger;
}
