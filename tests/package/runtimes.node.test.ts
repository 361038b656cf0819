/**
 * The package under JavaScript runtimes other than Node, browsers and Workers, each a real runtime
 * from npm (devDependencies: `deno`, `bun`, `edge-runtime`), run on the packed tarball installed in a
 * fresh project with the optional peers of the service (`hono`, `@hono/zod-openapi`):
 * - Deno and Bun classify with the embedded model (tests/package/projects/node/classify.mjs, as
 *   plain Node runs it) and serve `createApp(portableDeps(...))` from `descry/app` through
 *   `Deno.serve` / `Bun.serve` (projects/deno, projects/bun);
 * - Vercel's Edge runtime: projects/edge bundles the app into one fetch-event script (esbuild, the
 *   `edge-light`/`worker` conditions, wasm as compiled modules) and `edge-runtime` serves it;
 * - AWS Lambda: projects/lambda's handler (Hono's `hono/aws-lambda` adapter) invoked with an API
 *   Gateway (payload 2.0) event, in Node 22 as Lambda's nodejs22.x runtime would.
 * Each answers POST /v1/classify with the embedded model's right label for a committed image.
 */
import type { ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureChoice } from '../support/fixture-choice.js';
import {
  locked,
  packTarball,
  project,
  projects,
  root,
  run,
  SLOW,
  serve,
  stop,
  userEnv,
} from './support/outside.js';
import { RUNTIMES } from './support/runtimes.js';

const fixture = await fixtureChoice();
const imagePath = join(root, 'tests', 'fixtures', 'openmoji-eval', fixture.file);
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
/** The service's variables: open without keys, as DESCRY_DEV says; port 0 picks a free one. */
const serviceEnv = { ...userEnv, DESCRY_DEV: 'true', DESCRY_PORT: '0' };

let work: string;
let app: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'descry-runtimes-'));
  const { tarball } = await packTarball(work);
  const tools = await locked('hono', '@hono/zod-openapi', 'esbuild', 'edge-runtime');
  ({ dir: app } = await project(work, 'deno', [tarball, ...tools], 'runtimes'));
  for (const name of ['bun', 'edge', 'lambda'])
    await cp(join(projects, name), join(app, name), { recursive: true });
  await cp(join(projects, 'deno'), join(app, 'deno'), { recursive: true });
  await cp(join(projects, 'node', 'classify.mjs'), join(app, 'classify.mjs'));
}, 900_000);

afterAll(async () => {
  for (const child of children) stop(child);
  if (work) await rm(work, { recursive: true, force: true });
});

/** POSTs the fixture to `url`/v1/classify; the status, model and top label. */
async function classifyOver(
  url: string,
): Promise<{ status: number; model: string; top: string | undefined }> {
  const form = new FormData();
  form.append(
    'image',
    new Blob([new Uint8Array(await readFile(imagePath))], { type: 'image/png' }),
    fixture.file,
  );
  form.append('labels', fixture.candidates.join(','));
  const response = await fetch(`${url}/v1/classify`, { method: 'POST', body: form });
  const body = (await response.json()) as {
    model: string;
    results?: Array<{ predictions: Array<{ label: string }> }>;
  };
  return { status: response.status, model: body.model, top: body.results?.[0]?.predictions[0]?.label };
}

/** Starts a server whose output announces `Descry on <url>`, and classifies the fixture over HTTP. */
async function servedAnswer(command: string, args: string[], cwd: string) {
  const server = await serve(command, args, cwd, /Descry on (http:\/\/127\.0\.0\.1:\d+)/, serviceEnv);
  children.push(server.child);
  try {
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { runtime: string };
    return { ...(await classifyOver(server.url)), runtime: health.runtime };
  } finally {
    stop(server.child);
  }
}

const expected = { status: 200, model: 'emoji-clip', top: fixture.entry.name };

describe(RUNTIMES.deno.suite, { timeout: SLOW }, () => {
  it('classifies with the embedded model', async () => {
    const { stdout } = await run(
      bin('deno'),
      ['run', '-A', 'classify.mjs', imagePath, fixture.candidates.join(',')],
      app,
    );
    expect(JSON.parse(stdout)).toEqual({
      model: 'emoji-clip',
      top: fixture.entry.name,
      sharedErrorClass: true,
    });
  });

  it('serves the app through Deno.serve', async () => {
    const answer = await servedAnswer(bin('deno'), ['run', '-A', 'deno/serve.mjs'], app);
    expect(answer).toMatchObject(expected);
    expect(answer.runtime).toMatch(/^deno \d/);
  });
});

describe(RUNTIMES.bun.suite, { timeout: SLOW }, () => {
  it('classifies with the embedded model', async () => {
    const { stdout } = await run(bin('bun'), ['classify.mjs', imagePath, fixture.candidates.join(',')], app);
    expect(JSON.parse(stdout)).toEqual({
      model: 'emoji-clip',
      top: fixture.entry.name,
      sharedErrorClass: true,
    });
  });

  it('serves the app through Bun.serve', async () => {
    const answer = await servedAnswer(bin('bun'), ['bun/serve.mjs'], app);
    expect(answer).toMatchObject(expected);
    expect(answer.runtime).toMatch(/^bun \d/);
  });
});

describe(RUNTIMES.edge.suite, { timeout: SLOW }, () => {
  it('serves the app bundled into one fetch-event script', async () => {
    const edge = join(app, 'edge');
    await run('node', ['build.mjs'], edge);
    const answer = await servedAnswer('node', ['serve.mjs'], edge);
    expect(answer).toMatchObject({ ...expected, runtime: 'edge-runtime' });
  });
});

describe(RUNTIMES.lambda.suite, { timeout: SLOW }, () => {
  it('answers an API Gateway event through hono/aws-lambda', async () => {
    const { stdout } = await run(
      'node',
      ['invoke.mjs', imagePath, fixture.candidates.join(',')],
      join(app, 'lambda'),
      {
        ...userEnv,
        DESCRY_DEV: 'true',
      },
    );
    // The service's access log comes first (one JSON line a request, as CloudWatch collects it).
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(JSON.parse(lines.at(-1)!)).toEqual(expected);
  });
});
