/**
 * Every code block in README.md and in the pages under docs/ is checked, as the marker comment above it says
 * (scripts/readme-blocks.ts): snippets are word for word the files they name, and those files are
 * typechecked (`npm run typecheck`) and run (the examples here; the outside projects by
 * outside.node.test.ts); output blocks are what their command prints; shell commands name scripts,
 * files and tools that exist, and the `curl` lines are answered by the service. A snippet edited
 * in the README alone, an example that stopped running, or output from another model fails here.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startNodeServer } from 'descry/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentFiles } from '../../scripts/doc-blocks.mjs';
import {
  type ReadmeBlock,
  readmeBlocks,
  sameOutput,
  shellCommands,
  snippetText,
} from '../../scripts/readme-blocks.js';

const root = new URL('../..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** Every block of every document, with the file it is in. */
const blocks = documentFiles(root).flatMap((file) =>
  readmeBlocks(readFileSync(file, 'utf8')).map((block) => ({ ...block, file: file.slice(root.length) })),
);
const where = (block: ReadmeBlock & { file: string }) => `${block.file}:${block.line}`;
const OUTSIDE_PROJECTS = 'tests/package/projects/';

/** Runs `command` in a shell at the root; its stdout, whatever the exit code (the CLI exits 2 on partial failure). */
async function stdoutOf(command: string): Promise<string> {
  const result = await promisify(execFile)('sh', ['-c', command], { cwd: root, maxBuffer: 16 << 20 }).catch(
    (error: { stdout?: string; stderr?: string; code?: number }) => {
      if (typeof error.code !== 'number' || !error.stdout) throw new Error(`${command}: ${error.stderr}`);
      return { stdout: error.stdout };
    },
  );
  return result.stdout;
}

const snippets = blocks.flatMap((b) => (b.marker?.kind === 'snippet' ? [{ block: b, ...b.marker }] : []));
const outputs = blocks.flatMap((b) => (b.marker?.kind === 'output' ? [{ block: b, ...b.marker }] : []));
const commandBlocks = blocks.filter((b) => b.marker?.kind === 'commands');

describe('documentation code blocks', () => {
  it('each say how they are checked', () => {
    expect(blocks.filter((b) => b.marker === undefined).map(where)).toEqual([]);
    expect(snippets.length).toBeGreaterThan(0);
    expect(outputs.length).toBeGreaterThan(0);
  });

  it.each(snippets.map((s) => [`${where(s.block)} ${s.file}${s.region ? `#${s.region}` : ''}`, s]))(
    'snippet %s is the file, word for word',
    (_, { block, file, region }) => {
      expect(existsSync(join(root, file)), file).toBe(true);
      expect(block.content.trimEnd()).toBe(snippetText(readFileSync(join(root, file), 'utf8'), region));
    },
  );

  it('snippets come from files that run: examples here, outside projects in outside.node.test.ts', async () => {
    const files = [...new Set(snippets.map((s) => s.file))];
    for (const file of files) expect(file, file).toMatch(/^(examples\/.*\.ts|tests\/package\/projects\/.*)$/);
    // Examples an output block already runs are not run twice.
    const ran = outputs.map((o) => o.command).join('\n');
    for (const file of files.filter((f) => f.startsWith('examples/') && !ran.includes(f))) {
      await promisify(execFile)(join(root, 'node_modules', '.bin', 'tsx'), [file], { cwd: root });
    }
    expect(files.some((f) => f.startsWith(OUTSIDE_PROJECTS))).toBe(true);
  }, 300_000);

  it('compares outputs within float32 noise, but not a real change', () => {
    const line = '{"label":"star","score":0.002711282577365637,"cosine":0.34398841857910156}';
    expect(sameOutput(line.replace('0.002711282577365637', '0.002711279783397913'), line)).toBe(true);
    expect(sameOutput(line.replace('0.0027112', '0.0028112'), line)).toBe(false);
    expect(sameOutput(line.replace('star', 'clock'), line)).toBe(false);
    expect(sameOutput(`${line}\n${line}`, line)).toBe(false);
    // Any numbers, same words: the access-log line of docs/service.md.
    const log = '{"status":200,"duration_ms":12.5,"route":"/v1/classify"}';
    expect(sameOutput(log.replace('12.5', '3865.25'), log, Number.POSITIVE_INFINITY)).toBe(true);
    expect(sameOutput(log.replace('/v1/classify', '/v1/embeddings'), log, Number.POSITIVE_INFINITY)).toBe(
      false,
    );
  });

  it.each(outputs.map((o) => [`${where(o.block)} \`${o.command}\``, o]))(
    'output %s is what the command prints (`npm run readme:sync` rewrites it)',
    async (_, { block, command, anyNumbers }) => {
      const printed = (await stdoutOf(command)).trimEnd();
      // Numbers within 1e-5: float32 results differ in their last digits between CPUs. A block
      // marked "output shape of" shows durations and counts: only its words must match.
      const tolerance = anyNumbers ? Number.POSITIVE_INFINITY : 1e-5;
      if (!sameOutput(printed, block.content.trimEnd(), tolerance)) {
        expect(printed).toBe(block.content.trimEnd());
      }
    },
    300_000,
  );

  describe('commands', () => {
    let service: { url: string; close(): Promise<void> } | undefined;
    beforeAll(async () => {
      service = await startNodeServer({ port: 0, vars: { DESCRY_DEV: 'true' } });
    });
    afterAll(async () => {
      await service?.close();
    });

    const commands = commandBlocks.flatMap((block) =>
      shellCommands(block.content).map((c) => [where(block), c]),
    );

    it.each(commands)('%s `%s` names what exists', (_, command) => {
      const [tool, sub, arg] = command.split(/\s+/);
      if (tool === 'npm' && (sub === 'install' || sub === 'ci')) {
        // The package (by name, or the tarball `npm pack` writes: descry-<version>.tgz) or its peers.
        for (const name of command
          .split(/\s+/)
          .slice(2)
          .filter((w) => !w.startsWith('-'))) {
          if (name.endsWith('.tgz')) expect(name.split('/').at(-1)).toBe(`${pkg.name}-${pkg.version}.tgz`);
          else expect([pkg.name, ...Object.keys(pkg.peerDependencies ?? {})]).toContain(name);
        }
      } else if (tool === 'npm' && sub === 'pack') {
        expect(pkg.scripts).toHaveProperty('prepack');
      } else if (tool === 'npm' && (sub === 'start' || sub === 'test')) {
        expect(pkg.scripts).toHaveProperty(sub);
      } else if (tool === 'npm' && sub === 'run') {
        expect(pkg.scripts).toHaveProperty(command.split(/\s+/).filter((w) => !w.startsWith('-'))[2]!);
      } else if (tool === 'npx' && sub === 'descry') {
        expect(pkg.bin).toHaveProperty('descry');
      } else if (tool === 'npx' || tool === 'node') {
        const file = tool === 'node' ? sub : arg;
        expect(existsSync(join(root, file!)), file).toBe(true);
      } else {
        expect(tool).toBe('curl');
      }
      // Files the command reads (`-F image=@file`, paths), globs and URLs aside.
      for (const word of command.split(/\s+/)) {
        const path = word.replace(/^['"]|['"]$/g, '').replace(/^\w+=@/, '');
        if (/^[\w.-]+\/[\w./-]*$/.test(path) && !path.includes('*') && !path.endsWith('.tgz'))
          expect(existsSync(join(root, path)), path).toBe(true);
      }
    });

    const curls = commands.filter(([, c]) => c!.startsWith('curl '));
    it.each(curls)('%s `%s` is answered by the service', async (_, command) => {
      const body = JSON.parse(await stdoutOf(command!.replace(/http:\/\/127\.0\.0\.1:8787/g, service!.url)));
      expect(body.results?.[0]?.predictions?.length, JSON.stringify(body)).toBeGreaterThan(0);
    });
  });
});
