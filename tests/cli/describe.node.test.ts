/**
 * `descry describe` as a process against a real HTTP server speaking the chat-completions
 * protocol: exit 0 when every label is described, 2 when some are, 1 when none is, and "could
 * not connect" when nothing answered at all.
 */
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type OpenAIServer, startOpenAIServer } from '../support/openai-server.js';
import { runCli } from './support/run-cli.js';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function describeWith(baseURL: string, labels: string, extra: string[] = []) {
  const dir = await mkdtemp(join(tmpdir(), 'descry-describe-'));
  const out = join(dir, 'descriptors.json');
  const run = await runCli([
    'describe',
    '--labels',
    labels,
    '--llm-url',
    baseURL,
    '--llm-model',
    'test-model',
    '--cache',
    join(dir, 'cache'),
    '--out',
    out,
    ...extra,
  ]);
  return { run, out };
}

describe('descry describe', () => {
  it('writes the descriptors and exits 0 when every label is described', async () => {
    server = await startOpenAIServer(() => ({ content: '- pointed ears\n- whiskers' }));
    const { run, out } = await describeWith(server.baseURL, 'cat,lynx');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual({
      cat: ['pointed ears', 'whiskers'],
      lynx: ['pointed ears', 'whiskers'],
    });
  });

  it('exits 2 and names the failed labels when only some are described', async () => {
    server = await startOpenAIServer((request) =>
      request.prompt.includes('lynx') ? { status: 400 } : { content: '- whiskers' },
    );
    const { run, out } = await describeWith(server.baseURL, 'cat,lynx');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/lynx: llm_failed/);
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual({ cat: ['whiskers'] });
  });

  it('generates subclasses with CHiLS’s prompt, drops a name two labels share, and the file compiles', async () => {
    const answers: Record<string, string> = {
      vehicle: 'car, bus, bicycle, van',
      animal: 'cat, dog, horse, van',
    };
    server = await startOpenAIServer((request) => {
      const label = Object.keys(answers).find((l) => request.prompt.endsWith(`>${l}:`));
      return label ? { content: answers[label]! } : { status: 400 };
    });
    const { run, out } = await describeWith(server.baseURL, 'vehicle,animal', ['--generate', 'subclasses']);
    expect(run.code, run.stderr).toBe(0);
    expect(server.requests.map((r) => r.prompt).sort()).toEqual([
      'Generate a comma separated list of 10 types of the following:\n\n>animal:',
      'Generate a comma separated list of 10 types of the following:\n\n>vehicle:',
    ]);
    expect(run.stderr).toContain('dropped "van": named for');
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual({
      vehicle: ['car', 'bus', 'bicycle'],
      animal: ['cat', 'dog', 'horse'],
    });
    const compiled = await runCli([
      'compile',
      '--labels',
      'vehicle,animal',
      '--subclasses',
      out,
      '--out',
      join(out, '..', 'c.descry'),
    ]);
    expect(compiled.code, compiled.stderr).toBe(0);
    expect(compiled.stdout).toContain('2 labels');
  });

  it('exits 1 without writing when every call failed', async () => {
    server = await startOpenAIServer(() => ({ status: 400 }));
    const { run, out } = await describeWith(server.baseURL, 'cat,lynx');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no label described: every call to .* failed/);
    await expect(stat(out)).rejects.toThrow();
  });

  it('says "could not connect" when nothing answered', async () => {
    const probe = await startOpenAIServer(() => ({ content: '' }));
    const baseURL = probe.baseURL;
    await probe.close(); // the port is now closed: connections are refused
    const { run } = await describeWith(baseURL, 'cat,lynx');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`could not connect to ${baseURL}`);
  });
});
