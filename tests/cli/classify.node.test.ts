/**
 * `descry classify` as a process: folders, globs and files in; JSON Lines out, one line per image
 * in the format the batch jobs write (parsed with the SDK's parseResultLines); a corrupt image is
 * an error line and exit code 2; label and method mistakes are refused before the model loads.
 * Predictions are checked against the SDK classifying the same images in this process.
 */
import { copyFile, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Descry, parseResultLines, type ResultLine } from 'descry';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_DIR, FIXTURE_FILES } from '../worker/support/emoji-fixtures.js';
import { GIF_BYTES, truncatedPng } from '../worker/support/synthetic-images.js';
import { runCli } from './support/run-cli.js';

const root = new URL('../..', import.meta.url).pathname;
const TEMPLATE = 'an emoji of {}';

let dir: string;
let labels: string[];
/** Fixture file → the key the CLI gives it (its path under `dir`). */
let keys: Map<string, string>;

beforeAll(async () => {
  const names = JSON.parse(await readFile(join(root, FIXTURE_DIR, 'labels.json'), 'utf8')) as Record<
    string,
    { name: string }
  >;
  labels = FIXTURE_FILES.map((file) => names[file]!.name);
  dir = await mkdtemp(join(tmpdir(), 'descry-cli-'));
  await mkdir(join(dir, 'photos', 'nested'), { recursive: true });
  keys = new Map();
  for (const [i, file] of FIXTURE_FILES.entries()) {
    const key = i < 2 ? `photos/${file}` : `photos/nested/${file}`;
    await copyFile(join(root, FIXTURE_DIR, file), join(dir, key));
    keys.set(file, key);
  }
  await writeFile(join(dir, 'photos', 'broken.png'), truncatedPng());
  await writeFile(join(dir, 'photos', 'animated.gif'), GIF_BYTES);
  await writeFile(join(dir, 'photos', 'notes.txt'), 'not an image, and not taken from a folder');
  await writeFile(join(dir, 'labels.txt'), `${labels.join('\n')}\n`);
});

async function reference(files: string[], options: Parameters<Descry['classify']>[2] = {}) {
  const descry = await Descry.load(join(root, 'models', 'emoji-clip'));
  const images = await Promise.all(files.map(async (f) => new Uint8Array(await readFile(join(dir, f)))));
  return descry.classify(images, labels, { templates: [TEMPLATE], topK: 3, ...options });
}

function byKey(lines: ResultLine[]): Map<string, ResultLine> {
  return new Map(lines.map((line) => [line.key, line]));
}

describe('descry classify', () => {
  it('writes one line per image of a folder, an error line for a corrupt image, and exits 2', async () => {
    const run = await runCli(
      ['classify', '--labels-file', 'labels.txt', '--template', TEMPLATE, '--top-k', '3', 'photos'],
      { cwd: dir },
    );
    expect(run.code, run.stderr).toBe(2);
    const lines = parseResultLines(run.stdout);
    // Every image once (sorted by path), the .txt file skipped.
    expect(lines.map((l) => l.key)).toEqual(
      [...keys.values(), 'photos/broken.png', 'photos/animated.gif'].sort(),
    );
    const found = byKey(lines);
    expect(found.get('photos/broken.png')?.error?.code).toBe('image_corrupt');
    expect(found.get('photos/animated.gif')?.error?.code).toBe('image_unsupported_format');
    const expected = await reference([...keys.values()]);
    [...keys.values()].forEach((key, i) => {
      const line = found.get(key)!;
      expect(line.error).toBeUndefined();
      expect(line.predictions).toHaveLength(3);
      expect(line.predictions!.map((p) => p.label)).toEqual(expected[i]!.predictions.map((p) => p.label));
      expect(line.predictions![0]!.score).toBeCloseTo(expected[i]!.predictions[0]!.score, 5);
    });
    // Without a terminal: no progress bar, only the summary.
    expect(run.stderr.includes('\u001b[')).toBe(false);
    expect(run.stderr).toMatch(
      /4 of 6 images classified, 2 failed \(image_corrupt 1, image_unsupported_format 1\)/,
    );
  });

  it('takes quoted globs and files, writes to --out, and exits 0 when every image is classified', async () => {
    const first = [...keys.values()][0]!;
    const out = join(dir, 'out.jsonl');
    const run = await runCli(
      ['classify', '--labels', labels.join(','), '--out', out, 'photos/nested/*.png', first],
      { cwd: dir },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    const lines = parseResultLines(await readFile(out, 'utf8'));
    expect(lines.map((l) => l.key)).toEqual([...[...keys.values()].slice(2).sort(), first]);
    expect(lines.every((l) => l.predictions?.length === 4)).toBe(true);
  });

  it('refuses a --labels value that names a file, and a missing --labels-file, before loading the model', async () => {
    const asList = await runCli(['classify', '--labels', 'labels.txt', 'photos'], { cwd: dir });
    expect(asList.code).toBe(1);
    expect(asList.stderr).toContain('use --labels-file labels.txt');
    expect(asList.stdout).toBe('');
    const missing = await runCli(['classify', '--labels-file', 'nope.txt', 'photos'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('--labels-file nope.txt: no such file');
    const noInput = await runCli(['classify', '--labels', 'a,b', 'no-such-folder'], { cwd: dir });
    expect(noInput.code).toBe(1);
    expect(noInput.stderr).toContain('no-such-folder: no such file or folder');
  });

  it('classifies by description with evidence, and refuses the method without descriptors', async () => {
    const descriptors = Object.fromEntries(
      labels.map((label) => [label, [label.split(' ')[0]!, 'an emoji']]),
    );
    await writeFile(join(dir, 'descriptors.json'), JSON.stringify(descriptors));
    const refused = await runCli(
      ['classify', '--labels-file', 'labels.txt', '--method', 'descriptions', 'photos'],
      {
        cwd: dir,
      },
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--method descriptions needs --descriptors');
    const key = [...keys.values()][0]!;
    const run = await runCli(
      [
        'classify',
        '--labels-file',
        'labels.txt',
        '--method',
        'descriptions',
        '--descriptors',
        'descriptors.json',
        key,
      ],
      { cwd: dir },
    );
    expect(run.code, run.stderr).toBe(0);
    const [line] = parseResultLines(run.stdout);
    const expected = await reference([key], { method: 'descriptions', descriptors, templates: undefined });
    expect(line!.predictions![0]!.label).toBe(expected[0]!.predictions[0]!.label);
    expect(line!.predictions![0]!.evidence?.length).toBeGreaterThan(0);
  });

  it('adapts TFUP on a folder, saves the cache, and gives the same answer from the saved cache', async () => {
    const args = ['classify', '--labels-file', 'labels.txt', '--method', 'tfup', ...[...keys.values()]];
    const refused = await runCli(args, { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--method tfup needs --adapt-on');
    const adapted = await runCli([...args, '--adapt-on', 'photos', '--tfup-cache', 'tfup.bin'], { cwd: dir });
    expect(adapted.code, adapted.stderr).toBe(0);
    expect(adapted.stderr).toMatch(/skips photos\/broken\.png: image_corrupt/);
    expect((await stat(join(dir, 'tfup.bin'))).size).toBeGreaterThan(0);
    const fromCache = await runCli([...args, '--tfup-cache', 'tfup.bin'], { cwd: dir });
    expect(fromCache.code, fromCache.stderr).toBe(0);
    const first = parseResultLines(adapted.stdout);
    const second = parseResultLines(fromCache.stdout);
    expect(second).toEqual(first);
    expect(first.every((line) => line.degraded === undefined)).toBe(true);
  });

  it('runs FuDD with a static description source', async () => {
    const pairs = [];
    for (let a = 0; a < labels.length; a++) {
      for (let b = a + 1; b < labels.length; b++) {
        pairs.push({
          classes: [labels[a], labels[b]],
          attributes: [
            { attr_type: 'what', prompt_pair: [`an emoji of ${labels[a]}`, `an emoji of ${labels[b]}`] },
          ],
        });
      }
    }
    await writeFile(join(dir, 'pairs.json'), JSON.stringify({ pairs }));
    const key = [...keys.values()][1]!;
    const run = await runCli(
      [
        'classify',
        '--labels-file',
        'labels.txt',
        '--method',
        'fudd',
        '--static',
        'pairs.json',
        '--cache',
        'cache',
        key,
      ],
      { cwd: dir },
    );
    expect(run.code, run.stderr).toBe(0);
    const [line] = parseResultLines(run.stdout);
    expect(line!.degraded).toBeUndefined();
    expect(line!.predictions![0]!.label).toBe(labels[FIXTURE_FILES.indexOf(key.split('/').at(-1)!)]);
  });
});
