/** The markdown report of bench:real: tables from the best round of each measurement. */
import type { Measurement } from './plan.js';

/** Cold start of one mode: medians over its processes. */
export interface ColdStart {
  /** Which model: ViT-B/32-shaped (runs before MobileCLIP rows were added have none: vit). */
  model?: 'vit' | 'edge';
  mode: string;
  label: string;
  firstResultMs: number;
  peakRssMiB: number;
  runs: number;
}

export type Results = Map<string, number>;

export const key = (contender: Measurement['contender'], backend: Measurement['backend'], metric: string) =>
  `${contender}|${backend}|${metric}`;

/** Keeps, for each measurement, the best (lowest) of the rounds: others' work only ever adds time. */
export function best(measurements: readonly Measurement[]): Results {
  const results: Results = new Map();
  for (const m of measurements) {
    const k = key(m.contender, m.backend, m.metric);
    results.set(k, Math.min(results.get(k) ?? Number.POSITIVE_INFINITY, m.ms));
  }
  return results;
}

const ms = (value: number | undefined) =>
  value === undefined ? '–' : value >= 100 ? value.toFixed(0) : value.toFixed(1);
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? '–' : `${(a / b).toFixed(2)}×`;
const seconds = (value: number | undefined) => (value === undefined ? '–' : `${(value / 1000).toFixed(1)} s`);

export interface ReportContext {
  results: Results;
  cold: readonly ColdStart[];
  rounds: number;
  node: string;
  cpus: string;
}

/** The figures the issue's targets name, for the console and the report's first table. */
export function headline(r: Results): Array<[string, string, string]> {
  const g = (c: Measurement['contender'], b: Measurement['backend'], m: string) => r.get(key(c, b, m));
  const rows: Array<[string, string, string]> = [];
  for (const count of [100, 1000]) {
    for (const batch of [1, 8]) {
      const metric = `classify.jpeg.b${batch}.l${count}`;
      rows.push([
        `Descry / raw ORT per image, node, JPEG 640×480, batch ${batch}, ${count} labels`,
        ratio(g('descry', 'node', metric), g('raw', 'node', `vision.b${batch}`)),
        '≤ 1.10×',
      ]);
    }
  }
  rows.push([
    'PNG 1000×1000 decode + preprocess (Descry)',
    `${ms(g('descry', 'node', 'decode-preprocess.png'))} ms`,
    '≤ 40 ms',
  ]);
  for (const batch of [1, 8]) {
    const metric = `classify.jpeg.b${batch}.l100`;
    rows.push([
      `throughput at 100 labels, ${batch} image${batch > 1 ? 's' : ''} per call: Descry / transformers.js`,
      ratio(g('transformers.js', 'node', metric), g('descry', 'node', metric)),
      batch === 1 ? '≥ 10×' : '≥ 3×',
    ]);
  }
  for (const batch of [1, 8]) {
    const metric = `classify.jpeg.b${batch}.l100`;
    rows.push([
      `per image at 100 labels, batch ${batch}, node: transformers.js 4.x pipeline / Descry`,
      ratio(g('transformers.js-4', 'node', metric), g('descry', 'node', metric)),
      '–',
    ]);
    rows.push([
      `per image at 100 labels, batch ${batch}, node: transformers.js 4.x encoders (labels once) / Descry`,
      ratio(
        g('transformers.js-4', 'node', `classify-encoders.jpeg.b${batch}.l100`),
        g('descry', 'node', metric),
      ),
      '–',
    ]);
  }
  for (const backend of ['node', 'web'] as const) {
    rows.push([
      `compile 1000 labels, ${backend}: previous algorithm (raw ORT, input order) / Descry now`,
      ratio(
        g('raw', backend, 'text.input-order.previous-options.l1000'),
        g('descry', backend, 'compile.l1000'),
      ),
      '≥ 1.4×',
    ]);
  }
  return rows;
}

/** A markdown table padded as Biome formats one: first column left, the others right-aligned. */
export function alignedTable(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (text: string, i: number) => (i === 0 ? text.padEnd(widths[i]!) : text.padStart(widths[i]!));
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  const rule = widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`));
  return [line(head), `| ${rule.join(' | ')} |`, ...rows.map(line)];
}

export function markdown(ctx: ReportContext): string {
  const r = ctx.results;
  const g = (c: Measurement['contender'], b: Measurement['backend'], m: string) => r.get(key(c, b, m));
  const lines: string[] = [];
  const table = (head: string[], rows: string[][]) => {
    lines.push(...alignedTable(head, rows), '');
  };

  lines.push(
    `Model: random weights with openai/clip-vit-base-patch32's architecture (151M parameters, fp32, \`npm run bench:models\`); ` +
      `${ctx.node}, ${ctx.cpus}; best of ${ctx.rounds} round(s), each contender in its own process, one after another. ` +
      'Labels: emoji names with the template "This is a photo of {}". raw ORT = session.run on a ready tensor (the limit); ' +
      'Descry = encoded image in, ranked labels out, with a compiled classifier. ' +
      'transformers.js 4.x = @huggingface/transformers 4.x (onnxruntime-node 1.30, or its own onnxruntime-web in Node through its ' +
      '`Symbol.for("onnxruntime")` hook): "encoders" is its two encoders as the MobileCLIP model card uses them (labels encoded once, ' +
      'then image read, processor, vision encoder, normalised matmul, softmax), the same work as Descry with a compiled classifier; ' +
      '"pipeline" is its zero-shot pipeline, which encodes the labels on every call and needs the combined model.onnx (ViT-B/32 folder only). ' +
      'transformers.js 2.17 = the @xenova/transformers pipeline (onnxruntime-node 1.14).',
    '',
    '**Targets**',
    '',
  );
  table(['what', 'measured', 'target'], headline(r));

  /** Per image, JPEG 640×480, one table per model: every contender, node then web. */
  for (const [prefix, title] of [
    ['', 'ViT-B/32-shaped (151M parameters, 224 px)'],
    [
      'edge.',
      'MobileCLIP-S0-shaped (MCi0 image encoder 11.4M parameters at 256 px, MCt text encoder 42.4M; `bench/models/make_mobileclip_s0.py`)',
    ],
  ] as const) {
    lines.push(`**Per image, JPEG 640×480, ${title} (ms)**`, '');
    const rows: string[][] = [];
    for (const backend of ['node', 'web'] as const) {
      for (const count of [100, 1000]) {
        for (const batch of [1, 8]) {
          const m = `${prefix}classify.jpeg.b${batch}.l${count}`;
          const raw = g('raw', backend, `${prefix}vision.b${batch}`);
          const descry = g('descry', backend, m);
          const encoders = g(
            'transformers.js-4',
            backend,
            `${prefix}classify-encoders.jpeg.b${batch}.l${count}`,
          );
          const pipeline = g('transformers.js-4', backend, m);
          rows.push([
            `${backend}, batch ${batch}, ${count} labels`,
            ms(raw),
            ms(descry),
            ratio(descry, raw),
            ms(encoders),
            ratio(encoders, raw),
            ratio(encoders, descry),
            ms(pipeline),
            ratio(pipeline, descry),
            ms(g('transformers.js', backend, m)),
          ]);
        }
      }
    }
    table(
      [
        '',
        'raw ORT',
        'Descry',
        'Descry / raw',
        'tjs 4 encoders',
        'tjs 4 encoders / raw',
        'tjs 4 encoders / Descry',
        'tjs 4 pipeline',
        'tjs 4 pipeline / Descry',
        'tjs 2.17 pipeline',
      ],
      rows,
    );
  }

  lines.push('**By image format, 100 labels (ms per image)**', '');
  table(
    [
      'image',
      'decode + preprocess: Descry',
      'tjs 4',
      'tjs 2.17',
      'Descry node b1',
      'Descry node b8',
      'Descry web b1',
      'tjs 4 pipeline b1',
      'tjs 2.17 pipeline b1',
    ],
    (['jpeg', 'png', 'webp'] as const).map((name) => [
      { jpeg: 'JPEG 640×480', png: 'PNG 1000×1000', webp: 'WebP 640×480' }[name],
      ms(g('descry', 'node', `decode-preprocess.${name}`)),
      ms(g('transformers.js-4', 'node', `decode-preprocess.${name}`)),
      ms(g('transformers.js', 'node', `decode-preprocess.${name}`)),
      ms(g('descry', 'node', `classify.${name}.b1.l100`)),
      ms(g('descry', 'node', `classify.${name}.b8.l100`)),
      ms(g('descry', 'web', `classify.${name}.b1.l100`)),
      ms(g('transformers.js-4', 'node', `classify.${name}.b1.l100`)),
      ms(g('transformers.js', 'node', `classify.${name}.b1.l100`)),
    ]),
  );
  lines.push(
    `Plain labels instead of a compiled classifier (prompt embeddings cached after the first call): ${ms(g('descry', 'node', 'classify-labels.jpeg.b1.l100'))} ms per JPEG on node (compiled: ${ms(g('descry', 'node', 'classify.jpeg.b1.l100'))} ms).`,
    '',
  );

  lines.push('**Compiling labels (text encoder)**', '');
  table(
    [
      'labels',
      'node: previous (raw ORT, input order, previous options)',
      'node: raw ORT sorted',
      'node: Descry compile',
      'speedup',
      'node: tjs 4',
      'web: previous',
      'web: raw ORT sorted',
      'web: Descry compile',
      'speedup',
      'web: tjs 4',
    ],
    [100, 1000].map((count) => {
      const before = (b: 'node' | 'web') => g('raw', b, `text.input-order.previous-options.l${count}`);
      const now = (b: 'node' | 'web') => g('descry', b, `compile.l${count}`);
      return [
        `${count}`,
        seconds(before('node')),
        seconds(g('raw', 'node', `text.sorted.l${count}`)),
        seconds(now('node')),
        ratio(before('node'), now('node')),
        seconds(g('transformers.js-4', 'node', `compile.l${count}`)),
        seconds(before('web')),
        seconds(g('raw', 'web', `text.sorted.l${count}`)),
        seconds(now('web')),
        ratio(before('web'), now('web')),
        seconds(g('transformers.js-4', 'web', `compile.l${count}`)),
      ];
    }),
  );
  lines.push(
    'MobileCLIP-S0-shaped (77 tokens per prompt, padded): ' +
      [100, 1000]
        .map(
          (count) =>
            `${count} labels: Descry ${seconds(g('descry', 'node', `edge.compile.l${count}`))} node, ` +
            `${seconds(g('descry', 'web', `edge.compile.l${count}`))} web; ` +
            `transformers.js 4.x ${seconds(g('transformers.js-4', 'node', `edge.compile.l${count}`))} node, ` +
            `${seconds(g('transformers.js-4', 'web', `edge.compile.l${count}`))} web`,
        )
        .join('; ') +
      '. transformers.js 4.x encodes all prompts in one batch (as its model card does); Descry sorts them by length in batches of 128.',
    '',
  );

  lines.push('**Cold start to first result and peak RSS (one process each, medians)**', '');
  table(
    ['process', 'model', 'first result', 'peak RSS'],
    ctx.cold.map((c) => [
      c.label,
      (c.model ?? 'vit') === 'vit' ? 'ViT-B/32' : 'MobileCLIP-S0',
      `${(c.firstResultMs / 1000).toFixed(2)} s`,
      `${c.peakRssMiB.toFixed(0)} MiB`,
    ]),
  );

  lines.push('**Session options (raw onnxruntime-node, vision batch 1, ms)**', '');
  table(
    ['intra-op spinning', 'threads', 'vision alone', 'vision right after a text run'],
    (['on', 'off'] as const).flatMap((spin) =>
      (['default', '1'] as const).map((threads) => {
        const name = `options.spin-${spin}.threads-${threads}`;
        return [
          spin + (spin === 'off' ? ' (Descry)' : ' (ORT default)'),
          threads === 'default' ? 'ORT default' : threads,
          ms(g('raw', 'node', `${name}.vision-alone`)),
          ms(g('raw', 'node', `${name}.vision-after-text`)),
        ];
      }),
    ),
  );
  lines.push('**Concurrency: 8 clients, one JPEG per request, 100 labels (ms)**', '');
  table(
    [
      'backend',
      'per image, unbatched',
      'per image, batched (2 ms, ≤ 8)',
      'gain',
      'median latency, unbatched',
      'batched',
    ],
    (['node', 'web'] as const).map((b) => {
      const un = g('descry', b, 'concurrency.unbatched.per-image');
      const ba = g('descry', b, 'concurrency.batched.per-image');
      return [
        b === 'node' ? 'onnxruntime-node' : 'onnxruntime-web',
        ms(un),
        ms(ba),
        ratio(un, ba),
        ms(g('descry', b, 'concurrency.unbatched.latency-p50')),
        ms(g('descry', b, 'concurrency.batched.latency-p50')),
      ];
    }),
  );
  return lines.join('\n');
}
