/**
 * Prompt embeddings cached by prompt text, so that a label set passed as plain strings is encoded
 * once, not on every request. Least-recently-used entries go first when the cache is full.
 *
 * Prompts the cache lacks reach the text tower in runs of at most `promptsPerRun`, each one unit of
 * the caller's schedule (../schedule.ts), shortest first: a large label set yields between runs,
 * and each run pads to prompts of similar length.
 */
import { type RunOptions, runUnit } from '../schedule.js';
import type { Matrix } from '../types.js';

/** Embeds prompts through a text encoder, remembering each prompt's embedding. */
export class PromptEmbeddingCache {
  readonly #entries = new Map<string, Float32Array>();

  constructor(
    private readonly encode: (texts: readonly string[]) => Promise<Matrix>,
    private readonly promptsPerRun = 128,
    private readonly capacity = 8192,
  ) {}

  /** The distinct texts of `texts` the cache does not hold (what `embed` would encode now). */
  uncached(texts: readonly string[]): string[] {
    return [...new Set(texts.filter((text) => !this.#entries.has(text)))];
  }

  /** Embeddings of `texts` in order; only prompts not seen before reach the encoder. */
  async embed(texts: readonly string[], options: RunOptions = {}): Promise<Matrix> {
    // Snapshot hits first: a concurrent call may evict them while this one awaits the encoder.
    const found = new Map<string, Float32Array>();
    for (const text of texts) {
      const hit = this.#entries.get(text);
      if (hit) found.set(text, hit);
    }
    // Stable sort by length: similar lengths share a run (less padding), and the order is fixed.
    const missing = [...new Set(texts.filter((text) => !found.has(text)))].sort(
      (a, b) => a.length - b.length,
    );
    for (let start = 0; start < missing.length; start += this.promptsPerRun) {
      const run = missing.slice(start, start + this.promptsPerRun);
      const encoded = await runUnit(options, { kind: 'text', count: run.length }, () => this.encode(run));
      run.forEach((text, i) => {
        found.set(text, encoded.data.slice(i * encoded.cols, (i + 1) * encoded.cols));
      });
    }
    let cols = 0;
    const rows = texts.map((text) => {
      const row = found.get(text)!;
      cols = row.length;
      this.#entries.delete(text); // re-insert: Map order is the recency order
      this.#entries.set(text, row);
      return row;
    });
    while (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
    const data = new Float32Array(rows.length * cols);
    rows.forEach((row, i) => {
      data.set(row, i * cols);
    });
    return { rows: rows.length, cols, data };
  }
}
