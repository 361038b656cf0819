/**
 * Subclasses and conformal calibration on compiled classifiers (sdk/classifier/subclasses.ts and
 * calibrate.ts): compiling subclasses with the embedded model's real text encoder, calibrating on
 * image embeddings, and the sets a calibrated classifier gives. Runtime-neutral.
 */
import { CompiledClassifier, Descry, InvalidInputError, ModelMismatchError } from 'descry';
import embeddedModel from 'descry/models/emoji-clip';
import { createMatrix, fitConformal, matrixRow, zeroShot } from 'descry/predictors';
import { beforeAll, describe, expect, it } from 'vitest';
import { calibrate, calibratedScorer, labelSet } from '../../sdk/classifier/calibrate.js';
import { compileSubclasses, subclassScorer } from '../../sdk/classifier/subclasses.js';

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DIM = 8;
const scoring = { logitScale: 10, activation: 'softmax' as const };

function unit(v: Float32Array): Float32Array {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/** Three labels along the first three axes. */
function classifier(seed = 1): CompiledClassifier {
  const rand = prng(seed);
  const data = new Float32Array(3 * DIM);
  for (let c = 0; c < 3; c++) {
    const row = Float32Array.from({ length: DIM }, (_, i) => (i === c ? 1 : 0) + 0.2 * (rand() - 0.5));
    data.set(unit(row), c * DIM);
  }
  return new CompiledClassifier({
    labels: ['cat', 'dog', 'car'],
    templates: ['{}'],
    weights: { rows: 3, cols: DIM, data },
    fingerprint: 'a'.repeat(64),
    model: 'test-model',
  });
}

/** n noisy images of random labels. */
function images(n: number, seed: number) {
  const rand = prng(seed);
  const embeddings = createMatrix(n, DIM);
  const truth: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rand() * 3);
    truth.push(['cat', 'dog', 'car'][c]!);
    const row = matrixRow(embeddings, i);
    for (let d = 0; d < DIM; d++) row[d] = (d === c ? 1 : 0) + 0.9 * (rand() - 0.5);
  }
  return { embeddings, truth };
}

describe('calibrate', () => {
  const clf = classifier();
  const data = images(40, 3);

  it('fits the conformal threshold on the predictor scores of the labelled images', () => {
    const cal = calibrate(clf, data.embeddings, data.truth, { alpha: 0.1, scoring });
    const scores = createMatrix(40, 3);
    for (let i = 0; i < 40; i++)
      scores.data.set(zeroShot(matrixRow(data.embeddings, i), clf.weights, scoring).score, i * 3);
    const expected = fitConformal(
      scores,
      data.truth.map((l) => clf.labels.indexOf(l)),
      { alpha: 0.1 },
    );
    expect(cal).toMatchObject({ ...expected, predictor: { method: 'zeroshot' } });
    expect(cal.weightsFingerprint).toBe(clf.calibrationFingerprint({ method: 'zeroshot' }));
  });

  it('refuses too few images, saying how many α needs', () => {
    const call = () =>
      calibrate(clf, createMatrix(5, DIM, new Float32Array(5 * DIM).fill(1)), Array(5).fill('cat'), {
        alpha: 0.1,
        scoring,
      });
    expect(call).toThrow(InvalidInputError);
    expect(call).toThrow(
      expect.objectContaining({ code: 'calibration_too_small', details: { alpha: 0.1, n: 5, needed: 9 } }),
    );
  });

  it('refuses labels the classifier lacks and mismatched counts', () => {
    const truth = [...data.truth];
    truth[7] = 'horse';
    expect(() => calibrate(clf, data.embeddings, truth, { alpha: 0.1, scoring })).toThrow(
      /image 7 is labelled "horse", which is not one of the labels/,
    );
    expect(() => calibrate(clf, data.embeddings, data.truth.slice(1), { alpha: 0.1, scoring })).toThrow(
      /40 image embeddings but 39 true labels/,
    );
    expect(() =>
      calibrate(clf, data.embeddings, data.truth, {
        alpha: 0.1,
        scoring,
        predictor: { method: 'subclasses', reweight: true, includeLabel: false },
      }),
    ).toThrow(/compiled without subclasses/);
  });

  it('gives label sets of the calibrated predictor only', () => {
    const calibrated = clf.withCalibration(
      calibrate(clf, data.embeddings, data.truth, { alpha: 0.2, scoring }),
    );
    const image = unit(Float32Array.from({ length: DIM }, (_, i) => (i === 1 ? 1 : 0.05)));
    const scores = calibratedScorer(calibrated, { method: 'zeroshot' }, scoring)(image);
    const set = labelSet(calibrated, scores, { method: 'zeroshot' });
    expect(set.labels[0]).toBe('dog');
    expect(set.alpha).toBe(0.2);
    expect(() =>
      labelSet(calibrated, scores, { method: 'subclasses', reweight: true, includeLabel: false }),
    ).toThrow(/holds for zeroshot scores, not subclasses/);
    expect(() => labelSet(clf, scores, { method: 'zeroshot' })).toThrow(/no calibration/);
  });

  it('fits "none of these" on the same images: the top cosine below which at most α of them fall', () => {
    const cal = calibrate(clf, data.embeddings, data.truth, { alpha: 0.1, scoring, noneOfThese: 'cosine' });
    const cosines = Array.from({ length: 40 }, (_, i) =>
      Math.max(...zeroShot(matrixRow(data.embeddings, i), clf.weights, scoring).cosine),
    ).sort((a, b) => a - b);
    // k = ⌈41 · 0.9⌉ = 37 on the negated cosines: the 37th largest = the 4th smallest cosine.
    expect(cal.noneOfThese).toEqual({ measure: 'cosine', below: cosines[3], alpha: 0.1, n: 40, rank: 37 });
    const calibrated = clf.withCalibration(cal);
    // Mostly dog by probability (cosine 0.5 with dog, about 0 with the others), but a poor fit.
    const far = unit(Float32Array.from({ length: DIM }, (_, i) => (i === 1 ? 0.5 : i === 7 ? 0.87 : 0)));
    const scores = calibratedScorer(calibrated, { method: 'zeroshot' }, scoring)(far);
    expect(Math.max(...scores.cosine)).toBeLessThan(cal.noneOfThese!.below);
    const set = labelSet(calibrated, scores, { method: 'zeroshot' });
    expect(set).toMatchObject({ abstain: true, reason: 'none_of_these' });
    expect(set.labels.length).toBeGreaterThan(0);
    const back = CompiledClassifier.fromBytes(calibrated.toBytes());
    expect(back.calibration?.noneOfThese).toEqual(cal.noneOfThese);
  });

  it('refuses a calibration fitted on other weights', () => {
    const cal = calibrate(clf, data.embeddings, data.truth, { alpha: 0.2, scoring });
    const other = classifier(2);
    expect(() => other.withCalibration(cal)).toThrow(ModelMismatchError);
    expect(() => other.withCalibration(cal)).toThrow(expect.objectContaining({ code: 'model_mismatch' }));
  });
});

describe('compileSubclasses on the embedded model', () => {
  let descry: Descry;
  beforeAll(async () => {
    descry = await Descry.load(embeddedModel);
  });
  const templates = ['an emoji of {}', 'a {} emoji'];
  const subclasses = {
    flag: ['ethiopia flag', 'france flag'],
    hand: ['i love you hand sign', 'thumbs up'],
  };

  it('embeds each subclass exactly as a label with the same templates would be', async () => {
    const base = await descry.compile({ labels: ['flag', 'person', 'hand'], templates });
    const withSubs = await compileSubclasses(base, subclasses, { embedTexts: (t) => descry.embedTexts(t) });
    expect(withSubs.subclassMap).toEqual(subclasses);
    expect(withSubs.subclasses[1]!.subclasses).toEqual([]);
    expect(withSubs.subclassTemplates).toEqual(templates);
    const asLabels = await descry.compile({ labels: [...subclasses.flag, ...subclasses.hand], templates });
    const rows = [withSubs.subclasses[0]!.embeddings, withSubs.subclasses[2]!.embeddings];
    let r = 0;
    for (const m of rows) {
      for (let i = 0; i < m.rows; i++, r++) {
        const a = matrixRow(m, i);
        const b = matrixRow(asLabels.weights, r);
        a.forEach((x, d) => {
          expect(x).toBeCloseTo(b[d]!, 5);
        });
      }
    }
    // Through the file format and back, scoring the same.
    const loaded = descry.loadClassifier(withSubs.toBytes('float32'));
    expect(loaded.subclassMap).toEqual(subclasses);
    // A text embedding stands in for an image: both live in the model's joint space.
    const probe = matrixRow(await descry.embedTexts(['an emoji of the flag of ethiopia']), 0);
    const score = (c: CompiledClassifier) =>
      subclassScorer(c, { logitScale: descry.info.logitScale, activation: 'softmax' })(probe);
    const a = score(withSubs);
    const b = score(loaded);
    expect(Array.from(b.score)).toEqual(Array.from(a.score));
    expect(a.evidence[0]!.map((e) => e.descriptor)).toContain('ethiopia flag');
  });

  it('rejects subclasses of labels the classifier lacks, before encoding anything', async () => {
    const base = await descry.compile({ labels: ['flag', 'hand'], templates });
    let calls = 0;
    const embedTexts = (t: readonly string[]) => {
      calls++;
      return descry.embedTexts(t);
    };
    await expect(compileSubclasses(base, { animal: ['cat'] }, { embedTexts })).rejects.toThrow(
      /"animal", which is not one of the labels/,
    );
    await expect(compileSubclasses(base, { flag: [] }, { embedTexts })).rejects.toThrow(InvalidInputError);
    expect(calls).toBe(0);
  });

  it('refuses an encoder of another width', async () => {
    const base = await descry.compile({ labels: ['flag', 'hand'], templates });
    const narrow = async (t: readonly string[]) => createMatrix(t.length, 3);
    await expect(
      compileSubclasses(base, { flag: ['ethiopia flag'] }, { embedTexts: narrow }),
    ).rejects.toThrow(expect.objectContaining({ code: 'model_mismatch' }));
  });
});
