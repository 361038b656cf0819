/**
 * Labels with subclasses (CHiLS) and conformal sets from the command line, as a user runs them:
 * `descry compile --subclasses emoji:subcategories` (the embedded model's own hierarchy) or a JSON
 * file, `descry calibrate` on a folder per label, and `descry classify --method subclasses
 * --max-set-size n`. Every answer is checked against the SDK in this process on the same bytes:
 * the classifier file the CLI wrote, calibrated again by the SDK on the same images, must carry
 * the same threshold, and the CLI's lines the same sets and scores as the SDK's classify.
 */
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Descry, parseResultLines } from 'descry';
import { emojiSubclasses } from 'descry/models/emoji-clip';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';

const root = new URL('../..', import.meta.url).pathname;
const FIXTURES = join(root, 'tests', 'fixtures', 'openmoji-eval');
const LABELS = [
  'animal mammal',
  'transport ground',
  'clothing',
  'food fruit',
  'animal bird',
  'sky & weather',
];
const CALIBRATION_PER_LABEL = 4;
const TEST_PER_LABEL = 2;

let dir: string;
/** Test image path (relative to `dir`) → its true label. */
let tests: Map<string, string>;
/** Calibration images in the order the SDK is given them. */
let calibration: { path: string; label: string }[];

beforeAll(async () => {
  const meta = JSON.parse(await readFile(join(FIXTURES, 'labels.json'), 'utf8')) as Record<
    string,
    { subcategory: string }
  >;
  dir = await mkdtemp(join(tmpdir(), 'descry-cli-subclasses-'));
  tests = new Map();
  calibration = [];
  for (const label of LABELS) {
    const files = Object.keys(meta)
      .filter((file) => meta[file]!.subcategory === label)
      .sort();
    expect(files.length).toBeGreaterThanOrEqual(CALIBRATION_PER_LABEL + TEST_PER_LABEL);
    await mkdir(join(dir, 'calibration', label), { recursive: true });
    await mkdir(join(dir, 'photos'), { recursive: true });
    for (const file of files.slice(0, CALIBRATION_PER_LABEL)) {
      await copyFile(join(FIXTURES, file), join(dir, 'calibration', label, file));
      calibration.push({ path: join(dir, 'calibration', label, file), label });
    }
    for (const file of files.slice(CALIBRATION_PER_LABEL, CALIBRATION_PER_LABEL + TEST_PER_LABEL)) {
      await copyFile(join(FIXTURES, file), join(dir, 'photos', file));
      tests.set(`photos/${file}`, label);
    }
  }
  await writeFile(join(dir, 'labels.txt'), `${LABELS.join('\n')}\n`);
});

const bytesOf = async (path: string) => new Uint8Array(await readFile(join(dir, path)));

// Each step is a process that loads the model; on a busy 2-vCPU machine a run takes several seconds.
describe('descry and labels with subclasses', { timeout: 300_000 }, () => {
  it('refuses subclass and set mistakes before loading the model', async () => {
    const cases: Array<[string[], string]> = [
      [
        ['classify', '--labels-file', 'labels.txt', '--method', 'subclasses', 'photos'],
        '--method subclasses needs --subclasses',
      ],
      [
        [
          'classify',
          '--labels-file',
          'labels.txt',
          '--method',
          'subclasses',
          '--subclasses',
          'emoji:nope',
          'photos',
        ],
        'the built-in sources are emoji:subcategories, emoji:groups',
      ],
      [
        [
          'classify',
          '--labels',
          'cat,dog',
          '--method',
          'subclasses',
          '--subclasses',
          'emoji:subcategories',
          'photos',
        ],
        'has none of these labels',
      ],
      [
        ['classify', '--labels-file', 'labels.txt', '--max-set-size', '2', 'photos'],
        '--max-set-size needs a --classifier',
      ],
      [
        ['calibrate', 'calibration', '--classifier', 'missing.descry', '--out', 'x.descry'],
        '--classifier missing.descry',
      ],
      [
        ['calibrate', 'calibration', '--classifier', 'missing.descry', '--out', 'x.descry', '--alpha', '1.5'],
        '--alpha must be in (0, 1)',
      ],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args, { cwd: dir });
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toContain(message);
      expect(run.stdout).toBe('');
    }
  });

  it('classifies with the built-in hierarchy or a JSON file: the SDK’s answer, evidence naming the subclass', async () => {
    const subclasses = Object.fromEntries(
      LABELS.map((label) => [label, emojiSubclasses.subcategories[label]!]),
    );
    await writeFile(join(dir, 'subclasses.json'), JSON.stringify(subclasses));
    const keys = [...tests.keys()];
    const builtIn = await runCli(
      [
        'classify',
        '--labels-file',
        'labels.txt',
        '--method',
        'subclasses',
        '--subclasses',
        'emoji:subcategories',
        '--top-k',
        '3',
        ...keys,
      ],
      { cwd: dir },
    );
    expect(builtIn.code, builtIn.stderr).toBe(0);
    const fromFile = await runCli(
      [
        'classify',
        '--labels-file',
        'labels.txt',
        '--method',
        'subclasses',
        '--subclasses',
        'subclasses.json',
        '--top-k',
        '3',
        ...keys,
      ],
      { cwd: dir },
    );
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(parseResultLines(fromFile.stdout)).toEqual(parseResultLines(builtIn.stdout));

    const descry = await Descry.load(join(root, 'models', 'emoji-clip'));
    const expected = await descry.classify(await Promise.all(keys.map(bytesOf)), LABELS, {
      method: 'subclasses',
      subclasses,
      topK: 3,
    });
    const lines = parseResultLines(builtIn.stdout);
    let right = 0;
    keys.forEach((key, i) => {
      const line = lines[i]!;
      expect(line.key).toBe(key);
      expect(line.degraded).toBeUndefined();
      expect(line.predictions!.map((p) => p.label)).toEqual(expected[i]!.predictions.map((p) => p.label));
      line.predictions!.forEach((p, k) => {
        expect(p.score).toBeCloseTo(expected[i]!.predictions[k]!.score, 5);
        expect(subclasses[p.label]).toContain(p.evidence![0]!.descriptor);
      });
      if (line.predictions![0]!.label === tests.get(key)) right++;
    });
    // Six subcategories of held-out images, their members as subclasses: most are right.
    expect(right).toBeGreaterThanOrEqual(keys.length / 2);
  });

  it('compiles, calibrates on a folder per label, and classifies into calibrated sets, as the SDK does', async () => {
    const compiled = await runCli(
      [
        'compile',
        '--labels-file',
        'labels.txt',
        '--subclasses',
        'emoji:subcategories',
        '--out',
        'subcategories.descry',
      ],
      { cwd: dir },
    );
    expect(compiled.code, compiled.stderr).toBe(0);

    // Too few images for α: the SDK's typed error, saying how many are needed.
    await mkdir(join(dir, 'few', LABELS[0]!), { recursive: true });
    await copyFile(calibration[0]!.path, join(dir, 'few', LABELS[0]!, 'one.png'));
    const few = await runCli(
      ['calibrate', 'few', '--classifier', 'subcategories.descry', '--alpha', '0.05', '--out', 'few.descry'],
      { cwd: dir },
    );
    expect(few.code).toBe(1);
    expect(few.stderr).toContain('calibration_too_small');
    expect(few.stderr).toContain('19');
    // A folder that is not one of the labels.
    await mkdir(join(dir, 'wrong', 'not a label'), { recursive: true });
    await copyFile(calibration[0]!.path, join(dir, 'wrong', 'not a label', 'one.png'));
    const wrong = await runCli(
      ['calibrate', 'wrong', '--classifier', 'subcategories.descry', '--out', 'wrong.descry'],
      { cwd: dir },
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`"not a label" is not one of the classifier's labels`);

    const calibrated = await runCli(
      [
        'calibrate',
        'calibration',
        '--classifier',
        'subcategories.descry',
        '--method',
        'subclasses',
        '--alpha',
        '0.2',
        '--out',
        'calibrated.descry',
      ],
      { cwd: dir },
    );
    expect(calibrated.code, calibrated.stderr).toBe(0);
    expect(calibrated.stdout).toContain(`calibrated on ${calibration.length} images for method subclasses`);

    const descry = await Descry.load(join(root, 'models', 'emoji-clip'));
    const fromCli = descry.loadClassifier(await bytesOf('calibrated.descry'));
    const bySdk = await descry.calibrate(
      descry.loadClassifier(await bytesOf('subcategories.descry')),
      await Promise.all(
        calibration.map(async ({ path, label }) => ({ image: new Uint8Array(await readFile(path)), label })),
      ),
      { alpha: 0.2, method: 'subclasses' },
    );
    expect(fromCli.calibration).toMatchObject({
      alpha: 0.2,
      method: 'lac',
      n: calibration.length,
      rank: bySdk.calibration!.rank,
      predictor: { method: 'subclasses' },
    });
    // Equal up to the encoder's batch composition (the CLI embeds 16 images per run).
    expect(fromCli.calibration!.threshold).toBeCloseTo(bySdk.calibration!.threshold, 5);

    const keys = [...tests.keys()];
    const run = await runCli(
      [
        'classify',
        '--classifier',
        'calibrated.descry',
        '--method',
        'subclasses',
        '--max-set-size',
        '2',
        '--top-k',
        '3',
        ...keys,
      ],
      { cwd: dir },
    );
    expect(run.code, run.stderr).toBe(0);
    const expected = await descry.classify(await Promise.all(keys.map(bytesOf)), fromCli, {
      method: 'subclasses',
      maxSetSize: 2,
      topK: 3,
    });
    const lines = parseResultLines(run.stdout);
    keys.forEach((key, i) => {
      expect(lines[i]!.key).toBe(key);
      const set = lines[i]!.set!;
      expect(set).toEqual(expected[i]!.set);
      expect(set.alpha).toBe(0.2);
      expect(set.abstain).toBe(set.labels.length === 0 || set.labels.length > 2);
    });
    // Sets are asked of a method the classifier was calibrated for only.
    const other = await runCli(
      ['classify', '--classifier', 'calibrated.descry', '--max-set-size', '2', keys[0]!],
      { cwd: dir },
    );
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('invalid_input');
  });
});
