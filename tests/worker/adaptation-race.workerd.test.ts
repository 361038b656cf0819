/**
 * A classifier replaced while it is adapted, inside workerd: the Worker with real KV (classifiers)
 * and R2 (caches, compare-and-swap on etags) from miniflare, see support/adaptation-race-contract.ts.
 */
import { env } from 'cloudflare:workers';
import embeddedModel from 'descry/models/emoji-clip';
import { createApp, type WorkerBindings, workerDeps } from 'descry/worker';
import { describe } from 'vitest';
import { adaptationRaceContract } from './support/adaptation-race-contract.js';

// Room for a PUT and 20 adapts at once.
const bindings = {
  ...(env as unknown as WorkerBindings),
  DESCRY_MAX_PENDING_REQUESTS: '32',
} as WorkerBindings;
const app = createApp(workerDeps(bindings, { embeddedModel }));

describe('replacing a classifier while it is adapted, in workerd', () => {
  adaptationRaceContract(async (path, init) =>
    app.fetch(new Request(`https://descry.test${path}`, init), bindings),
  );
});
