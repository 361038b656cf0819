/**
 * The service under load inside workerd: the Worker's app built from this isolate's bindings
 * (real KV and R2 from miniflare) with extra variables per case (see support/busy-service-contract.ts).
 */
import { env } from 'cloudflare:workers';
import embeddedModel from 'descry/models/emoji-clip';
import { createApp, type WorkerBindings, workerDeps } from 'descry/worker';
import { describe } from 'vitest';
import { busyServiceContract, holdInProcess } from './support/busy-service-contract.js';

describe('the service under load in workerd', () => {
  busyServiceContract(async (vars) => {
    const bindings = { ...(env as unknown as WorkerBindings), ...vars } as WorkerBindings;
    const app = createApp(workerDeps(bindings, { embeddedModel }));
    const fetcher = async (path: string, init?: RequestInit) =>
      app.fetch(new Request(`https://descry.test${path}`, init), bindings);
    return { fetch: fetcher, hold: holdInProcess(fetcher), close: async () => {} };
  });
});
