/**
 * Vitest global setup (runs in Node): reads the emoji fixtures from disk and provides them to the
 * tests, so that tests inside workerd, which has no file system, get the same bytes. For the
 * workerd project it also compiles a classifier with the `descry` CLI in Node, so that the Worker
 * can be shown to load what Node compiled, and serves the edge tests' photo-scale model over HTTP
 * (edge-model-server.ts: generated on first use, cached in tests/.generated/).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { startEdgeModelServer } from './edge-model-server.js';
import { FIXTURE_DIR, FIXTURE_FILES } from './emoji-fixtures.js';

/** A classifier compiled by `npm run descry -- compile` in Node, as bytes in base64. */
export interface NodeCompiledClassifier {
  labels: string[];
  templates: string[];
  base64: string;
}

/** What the setup provides under `emojiFixtures`. */
export interface ProvidedFixtures {
  images: Array<{ name: string; base64: string; label: string }>;
  labels: string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    emojiFixtures: ProvidedFixtures;
    nodeCompiledClassifier: NodeCompiledClassifier | null;
    /** Base URL of edge-model-server.ts (workerd project only). */
    edgeModelServer: string | null;
  }
}

/** Run the CLI as a user would (its own Node process, the model folder) and read what it wrote. */
async function compileWithCli(root: string, labels: string[], templates: string[]): Promise<string> {
  const scratch = await mkdtemp(join(tmpdir(), 'descry-cli-'));
  try {
    const labelsFile = join(scratch, 'labels.txt');
    const out = join(scratch, 'labels.descry');
    await writeFile(labelsFile, `${labels.join('\n')}\n`);
    const templateArgs = templates.flatMap((template) => ['--template', template]);
    await promisify(execFile)(
      join(root, 'node_modules', '.bin', 'tsx'),
      ['sdk/cli/descry.ts', 'compile', '--labels-file', labelsFile, ...templateArgs, '--out', out],
      { cwd: root },
    );
    return (await readFile(out)).toString('base64');
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export default async function provideFixtures(
  project: TestProject,
): Promise<(() => Promise<void>) | undefined> {
  project.provide('edgeModelServer', null);
  if (project.name !== 'workerd') return provideEmojiFixtures(project);
  const server = await startEdgeModelServer(project.config.root);
  project.provide('edgeModelServer', server.url);
  await provideEmojiFixtures(project);
  return () => server.close();
}

async function provideEmojiFixtures(project: TestProject): Promise<undefined> {
  project.provide('nodeCompiledClassifier', null);
  const root = join(project.config.root, FIXTURE_DIR);
  // The fixtures are committed: without them every test that uses them would pass on no images.
  const names = JSON.parse(await readFile(join(root, 'labels.json'), 'utf8')) as Record<
    string,
    { name: string }
  >;
  const images = await Promise.all(
    FIXTURE_FILES.map(async (file) => {
      const entry = names[file];
      if (!entry) throw new Error(`${file} is not in ${FIXTURE_DIR}/labels.json`);
      return { name: file, base64: (await readFile(join(root, file))).toString('base64'), label: entry.name };
    }),
  );
  const labels = images.map((image) => image.label);
  project.provide('emojiFixtures', { images, labels });
  if (project.name === 'workerd') {
    const templates = ['an emoji of {}.'];
    const base64 = await compileWithCli(project.config.root, labels, templates);
    project.provide('nodeCompiledClassifier', { labels, templates, base64 });
  }
  return undefined;
}
