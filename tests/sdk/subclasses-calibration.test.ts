/**
 * Method 'subclasses' (CHiLS) and conformal calibration through `Descry`, on the embedded model:
 * compiling subclasses, classifying with them (compiled or with plain labels), the evidence that
 * names the subclass that matched, `Descry.calibrate` and the prediction sets classify returns,
 * and the typed errors of bad input, each before any image is decoded. Runtime-neutral: runs in
 * Node and inside workerd.
 */
import { CompiledClassifier, calibrationFor, Descry, EMOJI_TEMPLATES, type ImageInput } from 'descry';
import embeddedModel, { emojiSubclasses } from 'descry/models/emoji-clip';
import { conformalQuantile } from 'descry/predictors';
import { beforeAll, describe, expect, inject, it } from 'vitest';

const fixtures = inject('emojiFixtures');
const decodeBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const images = fixtures.images.map((image) => ({ ...image, bytes: decodeBase64(image.base64) }));

/** The subcategory of an emoji name, from the embedded model's hierarchy. */
function subcategoryOf(name: string): string {
  const found = Object.entries(emojiSubclasses.subcategories).find(([, names]) => names.includes(name));
  if (!found) throw new Error(`${name} is in no subcategory`);
  return found[0];
}

/** Each fixture image's subcategory, and those subcategories with their members as subclasses. */
const truth = images.map((image) => subcategoryOf(image.label));
const labels = [...new Set(truth)];
const subclasses = Object.fromEntries(labels.map((l) => [l, [...emojiSubclasses.subcategories[l]!]]));
const templates = ['an emoji of {}'];

let descry: Descry;
beforeAll(async () => {
  descry = await Descry.load(embeddedModel);
});

function softmax(values: number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

describe("method 'subclasses' (CHiLS)", () => {
  it('scores as the paper: best subclass probability times its label probability, renormalised', async () => {
    const small = { fruit: ['pineapple', 'cherries', 'grapes'], bird: ['eagle', 'penguin'] };
    const smallLabels = Object.keys(small);
    const [result] = await descry.classify(images[0]!.bytes, smallLabels, {
      method: 'subclasses',
      subclasses: small,
      templates,
    });
    // By hand, from the encoders: one template, so each ensemble is the prompt's own embedding.
    const image = (await descry.embedImages([images[0]!.bytes])).data;
    const row = async (text: string) => (await descry.embedTexts([`an emoji of ${text}`])).data;
    const scale = descry.info.logitScale;
    const labelCos = await Promise.all(smallLabels.map(async (l) => dot(image, await row(l))));
    const subNames = Object.values(small).flat();
    const subCos = await Promise.all(subNames.map(async (s) => dot(image, await row(s))));
    const pLabel = softmax(labelCos.map((c) => scale * c));
    const pSub = softmax(subCos.map((c) => scale * c));
    let offset = 0;
    const r = Object.values(small).map((list, c) => {
      const best = Math.max(...list.map((_, i) => pSub[offset + i]!));
      offset += list.length;
      return pLabel[c]! * best;
    });
    const total = r.reduce((a, b) => a + b, 0);
    for (const prediction of result!.predictions) {
      const c = smallLabels.indexOf(prediction.label);
      expect(prediction.score).toBeCloseTo(r[c]! / total, 4);
      const own = small[prediction.label as keyof typeof small];
      // Evidence: every subclass of the label, best first; the first is the one that matched.
      expect(prediction.evidence!.map((e) => e.descriptor).sort()).toEqual([...own].sort());
      const cosines = prediction.evidence!.map((e) => e.cosine);
      expect([...cosines].sort((a, b) => b - a)).toEqual(cosines);
      expect(prediction.cosine).toBeCloseTo(cosines[0]!, 5);
    }
    expect(result!.degraded).toBeUndefined();
  });

  it('compiles subclasses in: the same answer as plain labels, through the serialised classifier', async () => {
    const compiled = await descry.compile({ labels, templates, subclasses });
    expect(compiled.hasSubclasses).toBe(true);
    expect(compiled.subclassMap).toEqual(subclasses);
    const loaded = descry.loadClassifier(compiled.toBytes('float32'));
    expect(loaded.subclassMap).toEqual(subclasses);
    const bytes = images.map((i) => i.bytes);
    const fromCompiled = await descry.classify(bytes, loaded, { method: 'subclasses' });
    const fromLabels = await descry.classify(bytes, labels, { method: 'subclasses', subclasses, templates });
    fromCompiled.forEach((result, i) => {
      expect(result.predictions[0]!.label).toBe(truth[i]);
      result.predictions.forEach((p, j) => {
        expect(p.label).toBe(fromLabels[i]!.predictions[j]!.label);
        expect(p.score).toBeCloseTo(fromLabels[i]!.predictions[j]!.score, 5);
      });
    });
  });

  it('falls back to zero-shot, and says so, without subclasses', async () => {
    const [result] = await descry.classify(images[0]!.bytes, labels, { method: 'subclasses' });
    expect(result!.degraded).toMatchObject({ requested: 'subclasses', used: 'zeroshot' });
    expect(result!.predictions[0]!.evidence).toBeUndefined();
  });

  it.each([
    ['a label that is not one of the labels', { nope: ['a'] }, 'not one of the labels'],
    ['an empty subclass list', { [labels[0]!]: [] }, 'empty subclass list'],
    ['a subclass listed twice', { [labels[0]!]: ['cat', 'cat'] }, 'twice'],
    [
      'a subclass under two labels',
      { [labels[0]!]: ['cat'], [labels[1]!]: ['cat'] },
      'must belong to one label',
    ],
  ])('refuses %s before encoding any text', async (_, map, message) => {
    const fresh = await Descry.load(embeddedModel);
    const error = await fresh
      .classify(images[0]!.bytes, labels, { method: 'subclasses', subclasses: map })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_input' });
    expect((error as Error).message).toContain(message);
    expect(fresh.loaded).toEqual({ text: false, vision: false });
  });

  it('refuses subclasses alongside a compiled classifier', async () => {
    const compiled = await descry.compile({ labels });
    await expect(
      descry.classify(images[0]!.bytes, compiled, { method: 'subclasses', subclasses }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
  });
});

describe('calibration and prediction sets', () => {
  /** The fixture images twice over: 8 labelled images (α = 0.2 needs 4, α = 0.1 needs 9). */
  const labelled = [...images, ...images].map((image, i) => ({
    image: image.bytes as ImageInput,
    label: truth[i % images.length]!,
  }));

  it('fits q̂ as the ⌈(n+1)(1−α)⌉-th smallest 1 − p(true label), and classify returns the LAC set', async () => {
    const compiled = await descry.compile({ labels, templates: EMOJI_TEMPLATES, subclasses });
    const calibrated = await descry.calibrate(compiled, labelled, { alpha: 0.2, method: 'subclasses' });
    const calibration = calibrated.calibration!;
    expect(calibration).toMatchObject({ alpha: 0.2, method: 'lac', n: 8, rank: 8 });
    expect(calibration.predictor).toEqual({ method: 'subclasses', reweight: true, includeLabel: false });
    // Independently: the scores classify gives the calibration images, their true label's 1 − p.
    const scored = await descry.classify(
      labelled.map((l) => l.image),
      compiled,
      { method: 'subclasses' },
    );
    const nonconformity = scored.map((result, i) => {
      const p = result.predictions.find((x) => x.label === labelled[i]!.label)!.score;
      return 1 - p;
    });
    expect(calibration.threshold).toBeCloseTo(conformalQuantile(nonconformity, 0.2).threshold, 6);
    // Sets: every label whose 1 − score ≤ q̂, best first, from all labels even with topK 1.
    const results = await descry.classify(
      images.map((i) => i.bytes),
      calibrated,
      { method: 'subclasses', topK: 1 },
    );
    const full = await descry.classify(
      images.map((i) => i.bytes),
      calibrated,
      { method: 'subclasses' },
    );
    results.forEach((result, i) => {
      expect(result.predictions).toHaveLength(1);
      const expected = full[i]!.predictions.filter((p) => 1 - p.score <= calibration.threshold);
      expect(result.set).toMatchObject({ labels: expected.map((p) => p.label), alpha: 0.2 });
      expect(result.set!.abstain).toBe(expected.length === 0);
    });
  });

  it('abstains when a set is larger than maxSetSize, and returns it all the same', async () => {
    const compiled = await descry.compile({ labels });
    // Calibrated on wrong labels: the true label's probability is small, q̂ near 1, sets large.
    const wrong = labelled.map((l, i) => ({
      ...l,
      label: labels[(labels.indexOf(l.label) + 1 + (i % 2)) % labels.length]!,
    }));
    const calibrated = await descry.calibrate(compiled, wrong, { alpha: 0.2 });
    const [result] = await descry.classify(images[0]!.bytes, calibrated, { maxSetSize: 1, topK: 1 });
    expect(result!.set!.labels.length).toBeGreaterThan(1);
    expect(result!.set).toMatchObject({ abstain: true, reason: 'too_large' });
    const [roomy] = await descry.classify(images[0]!.bytes, calibrated, { maxSetSize: labels.length });
    expect(roomy!.set).toMatchObject({ abstain: false, labels: result!.set!.labels });
  });

  it('calibrates from embeddings with labels, as from images', async () => {
    const compiled = await descry.compile({ labels });
    const embeddings = await descry.embedImages(labelled.map((l) => l.image));
    const fromEmbeddings = await descry.calibrate(
      compiled,
      { embeddings, labels: labelled.map((l) => l.label) },
      { alpha: 0.2 },
    );
    const fromImages = await descry.calibrate(compiled, labelled, { alpha: 0.2 });
    expect(fromEmbeddings.calibration!.threshold).toBeCloseTo(fromImages.calibration!.threshold, 6);
  });

  it('keeps the calibration through bytes, and refuses one fitted on other weights', async () => {
    const compiled = await descry.compile({ labels });
    const calibrated = await descry.calibrate(compiled, labelled, { alpha: 0.2 });
    const loaded = descry.loadClassifier(calibrated.toBytes());
    expect(loaded.calibration).toEqual(calibrated.calibration);
    const [result] = await descry.classify(images[0]!.bytes, loaded);
    expect(result!.set?.alpha).toBe(0.2);
    const other = await descry.compile({ labels, templates: ['a photo of a {}'] });
    expect(() => other.withCalibration(calibrated.calibration)).toThrow(
      expect.objectContaining({ code: 'model_mismatch' }),
    );
  });

  it('gives sets only for the calibrated method, and refuses maxSetSize for another', async () => {
    const compiled = await descry.compile({ labels, subclasses });
    const calibrated = await descry.calibrate(compiled, labelled, { alpha: 0.2, method: 'subclasses' });
    const [zeroshot] = await descry.classify(images[0]!.bytes, calibrated);
    expect(zeroshot!.set).toBeUndefined();
    expect(() =>
      calibrationFor(calibrated, { method: 'subclasses', reweight: false, maxSetSize: 2 }),
    ).toThrow(expect.objectContaining({ code: 'invalid_input' }));
    const fresh = await Descry.load(embeddedModel);
    await expect(fresh.classify(images[0]!.bytes, calibrated, { maxSetSize: 2 })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(fresh.classify(images[0]!.bytes, labels, { maxSetSize: 2 })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    expect(fresh.loaded.vision).toBe(false);
  });

  it('refuses too few images, saying how many α needs, before embedding any', async () => {
    const fresh = await Descry.load(embeddedModel);
    const compiled = new CompiledClassifier({
      labels: ['a', 'b'],
      templates: ['{}'],
      weights: { rows: 2, cols: 2, data: new Float32Array([1, 0, 0, 1]) },
      fingerprint: fresh.info.fingerprint,
      model: fresh.info.id,
    });
    const few = images.slice(0, 3).map((image, i) => ({ image: image.bytes, label: i ? 'a' : 'b' }));
    const error = await fresh.calibrate(compiled, few, { alpha: 0.1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'calibration_too_small', details: { alpha: 0.1, n: 3, needed: 9 } });
    expect((error as Error).message).toContain('at least 9');
    await expect(fresh.calibrate(compiled, [...few, ...few, ...few], { alpha: 0.05 })).rejects.toMatchObject({
      details: { needed: 19 },
    });
    await expect(
      fresh.calibrate(compiled, [{ image: images[0]!.bytes, label: 'zebra' }], { alpha: 0.5 }),
    ).rejects.toMatchObject({ code: 'invalid_input', details: { label: 'zebra' } });
    await expect(fresh.calibrate(compiled, few, { alpha: 0.5, method: 'subclasses' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    expect(fresh.loaded).toEqual({ text: false, vision: false });
  });

  it('refuses to calibrate a classifier of another model', async () => {
    const other = new CompiledClassifier({
      labels: ['a', 'b'],
      templates: ['{}'],
      weights: { rows: 2, cols: 2, data: new Float32Array([1, 0, 0, 1]) },
      fingerprint: '0'.repeat(64),
      model: 'another-model',
    });
    const pairs = images.map((image, i) => ({ image: image.bytes, label: i % 2 ? 'a' : 'b' }));
    await expect(descry.calibrate(other, pairs, { alpha: 0.5 })).rejects.toMatchObject({
      code: 'model_mismatch',
    });
  });
});
