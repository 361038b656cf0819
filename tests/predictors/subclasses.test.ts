import { InvalidInputError } from 'descry';
import {
  classifyBySubclasses,
  createMatrix,
  matrixFromRows,
  subclassLists,
  subclassWeights,
  zeroShot,
} from 'descry/predictors';
import { describe, expect, it } from 'vitest';

const f32 = (...xs: number[]) => Float32Array.from(xs);
const at = (degrees: number, length = 1) =>
  f32(length * Math.cos((degrees * Math.PI) / 180), length * Math.sin((degrees * Math.PI) / 180));
const cos = (degrees: number) => Math.cos((degrees * Math.PI) / 180);
const none = createMatrix(0, 2);

// Image at 0°. "vehicle" (own ensemble at 30°) has bus at 0° and bicycle at 90° (length 2:
// normalised inside); "animal" (at 120°) has cat at 180°; "rock" (at 60°) has no subclasses.
const labelWeights = matrixFromRows([at(30), at(120), at(60)]);
const weights = subclassWeights(labelWeights, [
  { label: 'vehicle', subclasses: ['bus', 'bicycle'], embeddings: matrixFromRows([at(0), at(90, 2)]) },
  { label: 'animal', subclasses: ['cat'], embeddings: matrixFromRows([at(180)]) },
  { label: 'rock', subclasses: [], embeddings: none },
]);
const image = at(0, 5);

describe('CHiLS scores (Novack et al. 2023)', () => {
  it('reweights the best subclass by its label: r[c] = p_label(c) · max p_sub, softmax over all subclasses', () => {
    const s = 2;
    // p_label = softmax(2·(cos 30°, cos 120°, cos 60°)); p_sub over ALL subclass rows:
    // bus cos 0° = 1, bicycle cos 90° = 0, cat cos 180° = −1, rock's own row cos 60° = 1/2.
    const zl = [s * cos(30), s * cos(120), s * cos(60)];
    const zs = [s * 1, s * 0, s * -1, s * 0.5];
    const sum = (xs: number[]) => xs.reduce((a, x) => a + Math.exp(x), 0);
    const pl = zl.map((z) => Math.exp(z) / sum(zl));
    const ps = zs.map((z) => Math.exp(z) / sum(zs));
    const r = [pl[0]! * ps[0]!, pl[1]! * ps[2]!, pl[2]! * ps[3]!];
    const total = r[0]! + r[1]! + r[2]!;
    const { score, logit, cosine, matched } = classifyBySubclasses(image, weights, {
      logitScale: s,
      activation: 'softmax',
    });
    r.forEach((value, c) => {
      expect(logit[c]).toBeCloseTo(Math.log(value), 5);
      expect(score[c]).toBeCloseTo(value / total, 6);
    });
    expect([...cosine].map((x) => Number(x.toFixed(6)))).toEqual([1, -1, 0.5]);
    expect(weights.names[matched[0]!]).toBe('bus');
    expect(weights.names[matched[2]!]).toBe('rock');
  });

  it('lets a likely label win over an unlikely label that has the single best subclass', () => {
    // Label A (at 90°, cos 0) owns a1 at 10°; label B (at 5°) owns b1 at 20°. The best subclass is
    // a1 (cos 10° > cos 20°): without reweighting A wins (their "CHiLSNoRW"); with it,
    // 10·(cos 5° + cos 20°) = 19.36 > 10·(0 + cos 10°) = 9.85 and B wins.
    const w = subclassWeights(matrixFromRows([at(90), at(5)]), [
      { label: 'A', subclasses: ['a1'], embeddings: matrixFromRows([at(10)]) },
      { label: 'B', subclasses: ['b1'], embeddings: matrixFromRows([at(20)]) },
    ]);
    const plain = classifyBySubclasses(at(0), w, { logitScale: 10, activation: 'softmax', reweight: false });
    const chils = classifyBySubclasses(at(0), w, { logitScale: 10, activation: 'softmax' });
    expect(plain.score[0]).toBeGreaterThan(plain.score[1]!);
    expect(chils.score[1]).toBeGreaterThan(chils.score[0]!);
    // Without reweighting: softmax over labels of their best subclass logit, 10·cos 10° vs 10·cos 20°.
    const d = 10 * (cos(10) - cos(20));
    expect(plain.score[0]).toBeCloseTo(1 / (1 + Math.exp(-d)), 6);
    const e = 10 * (cos(5) + cos(20) - cos(10));
    expect(chils.score[1]).toBeCloseTo(1 / (1 + Math.exp(-e)), 6);
  });

  it('sigmoid (SigLIP): r = σ(z_label) · σ(z_best subclass), score = σ(logit)', () => {
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    const { score, logit } = classifyBySubclasses(image, weights, {
      logitScale: 3,
      logitBias: -1,
      activation: 'sigmoid',
    });
    const expected = [
      sig(3 * cos(30) - 1) * sig(3 - 1),
      sig(3 * cos(120) - 1) * sig(-3 - 1),
      sig(3 * 0.5 - 1) ** 2,
    ];
    expected.forEach((r, c) => {
      expect(score[c]).toBeCloseTo(r, 6);
      expect(sig(logit[c]!)).toBeCloseTo(r, 6);
    });
  });

  it('explains a label by its subclasses, best first; a label without subclasses has no evidence', () => {
    const { evidence } = classifyBySubclasses(image, weights, { logitScale: 1, activation: 'softmax' });
    expect(evidence[0]!.map((e) => e.descriptor)).toEqual(['bus', 'bicycle']);
    expect(evidence[0]![0]!.cosine).toBeCloseTo(1, 6);
    expect(evidence[1]!.map((e) => e.descriptor)).toEqual(['cat']);
    expect(evidence[2]).toEqual([]);
  });

  it('falls back to zero-shot ranking when no label has subclasses', () => {
    const w = subclassWeights(labelWeights, [
      { label: 'vehicle', subclasses: [], embeddings: none },
      { label: 'animal', subclasses: [], embeddings: none },
      { label: 'rock', subclasses: [], embeddings: none },
    ]);
    const chils = classifyBySubclasses(at(50), w, { logitScale: 4, activation: 'softmax' });
    // Each label is its own only subclass: logit = 2 · 4 · cosine + constants, zero-shot at scale 8.
    const plain = zeroShot(at(50), labelWeights, { logitScale: 8, activation: 'softmax' });
    [...plain.score].forEach((p, c) => {
      expect(chils.score[c]).toBeCloseTo(p, 6);
    });
    expect(chils.evidence.every((e) => e.length === 0)).toBe(true);
  });

  it('includeLabel scores the label itself as one of its subclasses (their true_wsup)', () => {
    const w = subclassWeights(
      labelWeights,
      [
        { label: 'vehicle', subclasses: ['bicycle'], embeddings: matrixFromRows([at(90)]) },
        { label: 'animal', subclasses: ['cat'], embeddings: matrixFromRows([at(180)]) },
        { label: 'rock', subclasses: [], embeddings: none },
      ],
      { includeLabel: true },
    );
    expect(w.names).toEqual(['vehicle', 'bicycle', 'animal', 'cat', 'rock']);
    const { cosine, evidence } = classifyBySubclasses(image, w, { logitScale: 1, activation: 'softmax' });
    expect(cosine[0]).toBeCloseTo(cos(30), 6); // its own row beats bicycle at 90°
    expect(evidence[0]!.map((e) => e.descriptor)).toEqual(['vehicle', 'bicycle']);
  });
});

describe('subclass lists { label: [subclasses] }', () => {
  const labels = ['vehicle', 'animal', 'rock'];

  it('orders lists by label, trims, and leaves labels out of the map empty', () => {
    expect(subclassLists(labels, { animal: [' cat ', 'dog'], vehicle: ['bus'] })).toEqual([
      ['bus'],
      ['cat', 'dog'],
      [],
    ]);
  });

  it.each([
    ['a label the classifier lacks', { plant: ['fern'] }, /"plant", which is not one of the labels/],
    ['an empty list', { vehicle: [] }, /"vehicle" has an empty subclass list/],
    [
      'a subclass twice under one label',
      { vehicle: ['bus', 'bus '] },
      /"vehicle" lists the subclass "bus" twice/,
    ],
    [
      'a subclass under two labels',
      { vehicle: ['mouse'], animal: ['mouse'] },
      /listed under "vehicle" and "animal"/,
    ],
    ['a blank subclass', { vehicle: ['bus', '  '] }, /blank subclass/],
    ['a list that is not an array', { vehicle: 'bus' }, /must be an array of strings/],
    ['a non-string subclass', { vehicle: ['bus', 3] }, /must be an array of strings/],
  ])('rejects %s with InvalidInputError', (_, map, message) => {
    const call = () => subclassLists(labels, map as never);
    expect(call).toThrow(InvalidInputError);
    expect(call).toThrow(message);
    expect(call).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  });

  it('rejects a map that is not an object', () => {
    expect(() => subclassLists(labels, ['bus'] as never)).toThrow(InvalidInputError);
    expect(() => subclassLists(labels, null as never)).toThrow(InvalidInputError);
  });

  it('accepts a label named __proto__', () => {
    const map = JSON.parse('{"__proto__": ["x"]}');
    expect(subclassLists(['__proto__', 'b'], map)).toEqual([['x'], []]);
  });
});

describe('subclassWeights validation', () => {
  it('needs one list per label, rows matching texts, and one width', () => {
    expect(() => subclassWeights(labelWeights, [])).toThrow(/0 subclass lists for 3 labels/);
    expect(() =>
      subclassWeights(matrixFromRows([at(0)]), [
        { label: 'a', subclasses: ['x', 'y'], embeddings: matrixFromRows([at(0)]) },
      ]),
    ).toThrow(/2 subclasses but 1 embeddings/);
    expect(() =>
      subclassWeights(matrixFromRows([at(0)]), [
        { label: 'a', subclasses: ['x'], embeddings: matrixFromRows([f32(1, 0, 0)]) },
      ]),
    ).toThrow(/length 3, expected 2/);
    expect(() =>
      subclassWeights(matrixFromRows([at(0)]), [
        { label: 'a', subclasses: ['x'], embeddings: matrixFromRows([f32(0, 0)]) },
      ]),
    ).toThrow(/zero vector/);
  });

  it('rejects duplicates given directly to the predictor too', () => {
    expect(() =>
      subclassWeights(matrixFromRows([at(0), at(90)]), [
        { label: 'a', subclasses: ['x'], embeddings: matrixFromRows([at(0)]) },
        { label: 'b', subclasses: ['x'], embeddings: matrixFromRows([at(90)]) },
      ]),
    ).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  });

  it('rejects a wrong image and options', () => {
    expect(() =>
      classifyBySubclasses(f32(1, 0, 0), weights, { logitScale: 1, activation: 'softmax' }),
    ).toThrow(InvalidInputError);
    expect(() =>
      classifyBySubclasses(image, weights, { logitScale: Number.NaN, activation: 'softmax' }),
    ).toThrow(/logitScale/);
    expect(() =>
      classifyBySubclasses(image, weights, { logitScale: 1, activation: 'relu' as never }),
    ).toThrow(/activation/);
  });
});
