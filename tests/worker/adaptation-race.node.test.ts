/**
 * A classifier replaced while it is adapted, on Node: a real server on 127.0.0.1 with file stores
 * (the self-hosted default), see support/adaptation-race-contract.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { type RunningServer, startNodeServer } from '../../worker/hosts/node-server.node.js';
import { adaptationRaceContract } from './support/adaptation-race-contract.js';
import { TEST_VARS } from './support/test-vars.js';

let server: RunningServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'descry-race-'));
  // Room for a PUT and 20 adapts at once.
  server = await startNodeServer({
    port: 0,
    dataDir,
    vars: { ...TEST_VARS, DESCRY_MAX_PENDING_REQUESTS: '32' },
  });
});

afterAll(async () => {
  await server?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('replacing a classifier while it is adapted, on Node', () => {
  adaptationRaceContract((path, init) => fetch(`${server.url}${path}`, init));
});
