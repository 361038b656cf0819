/**
 * Vitest global setup (runs in Node): reads the emoji fixtures from disk and provides them to the
 * tests, so that tests inside workerd, which has no file system, get the same bytes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { FIXTURE_DIR, FIXTURE_FILES } from './emoji-fixtures.js';

/** What the setup provides under `emojiFixtures`. */
export interface ProvidedFixtures {
  images: Array<{ name: string; base64: string; label: string }>;
  labels: string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    emojiFixtures: ProvidedFixtures;
  }
}

export default async function provideFixtures(project: TestProject): Promise<void> {
  const root = join(project.config.root, FIXTURE_DIR);
  let names: Record<string, { name: string }>;
  try {
    names = JSON.parse(await readFile(join(root, 'labels.json'), 'utf8'));
  } catch {
    // Other test areas share this setup: without the fixtures only the worker tests can fail.
    project.provide('emojiFixtures', { images: [], labels: [] });
    return;
  }
  const images = await Promise.all(
    FIXTURE_FILES.map(async (file) => {
      const entry = names[file];
      if (!entry) throw new Error(`${file} is not in ${FIXTURE_DIR}/labels.json`);
      return { name: file, base64: (await readFile(join(root, file))).toString('base64'), label: entry.name };
    }),
  );
  project.provide('emojiFixtures', { images, labels: images.map((image) => image.label) });
}
