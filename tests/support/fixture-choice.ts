/** One committed evaluation image the embedded model gets right, with the candidate labels it was checked against. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FIXTURE_DIR, FIXTURE_FILES } from '../worker/support/emoji-fixtures.js';

const root = new URL('../..', import.meta.url).pathname;

export async function fixtureChoice(): Promise<{
  file: string;
  entry: { name: string };
  candidates: string[];
}> {
  const labels = JSON.parse(await readFile(join(root, FIXTURE_DIR, 'labels.json'), 'utf8')) as Record<
    string,
    { name: string }
  >;
  const file = FIXTURE_FILES[0]!;
  return { file, entry: labels[file]!, candidates: FIXTURE_FILES.map((f) => labels[f]!.name) };
}
