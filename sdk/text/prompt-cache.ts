/**
 * Prompt embeddings cached by prompt text, so that a label set passed as plain strings is encoded
 * once, not on every request. Least-recently-used entries go first when the cache is full.
 */
import type { Matrix } from '../types.js';

/** Embeds prompts through a text encoder, remembering each prompt's embedding. */
export class PromptEmbeddingCache {
  readonly #entries = new Map<string, Float32Array>();

  constructor(
    private readonly encode: (texts: readonly string[]) => Promise<Matrix>,
    private readonly capacity = 8192,
  ) {}

  /** Embeddings of `texts` in order; only prompts not seen before reach the encoder. */
  async embed(texts: readonly string[]): Promise<Matrix> {
    // Snapshot hits first: a concurrent call may evict them while this one awaits the encoder.
    const found = new Map<string, Float32Array>();
    for (const text of texts) {
      const hit = this.#entries.get(text);
      if (hit) found.set(text, hit);
    }
    const missing = [...new Set(texts.filter((text) => !found.has(text)))];
    if (missing.length > 0) {
      const encoded = await this.encode(missing);
      missing.forEach((text, i) => {
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
