/**
 * Tokenisation with the transformers.js tokenizer family (@huggingface/tokenizers) from a model's
 * tokenizer.json. That library encodes one text at a time; padding and truncation are added here
 * the way Hugging Face's Python tokenizers do them, as the model's config asks:
 * - CLIP: pad to the longest text of the batch, truncate to the context length keeping the end token
 *   (the text encoder pools there);
 * - SigLIP: fixed padding to `max_length` (the model was trained on padded sequences).
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { InvalidInputError } from '../errors.js';

/** A batch of token ids ready for the text encoder. */
export interface TokenBatch {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  batch: number;
  length: number;
}

/** How sequences are padded. */
export type PaddingStrategy = 'longest' | 'max_length';

/** Tokenizes prompts into fixed-shape batches. */
export class PromptTokenizer {
  readonly #tokenizer: Tokenizer;
  readonly #maxLength: number;
  readonly #padId: number;
  readonly #padding: PaddingStrategy;

  /**
   * @param tokenizerJson parsed tokenizer.json
   * @param tokenizerConfig parsed tokenizer_config.json (may be empty)
   * @param options context length of the text encoder and the padding strategy
   */
  constructor(
    tokenizerJson: object,
    tokenizerConfig: Record<string, unknown>,
    options: { maxLength: number; padding: PaddingStrategy },
  ) {
    this.#tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    const configMax = Number(tokenizerConfig.model_max_length);
    this.#maxLength =
      Number.isFinite(configMax) && configMax > 0 && configMax < 1e6
        ? Math.min(configMax, options.maxLength)
        : options.maxLength;
    this.#padding = options.padding;
    this.#padId = resolvePadId(this.#tokenizer, tokenizerConfig);
  }

  /** The context length sequences are truncated or padded to. */
  get maxLength(): number {
    return this.#maxLength;
  }

  /** Token ids of one text, with special tokens, truncated to the context length. */
  /**
   * What encoding `text` costs the text tower, in tokens: its padded length (`max_length` padding
   * always pads to the context length; `longest` pads a batch of similar lengths to about its own).
   */
  cost(text: string): number {
    return this.#padding === 'max_length' ? this.#maxLength : this.encode(text).length;
  }

  encode(text: string): number[] {
    return keepingEnd(this.#tokenizer.encode(text).ids, this.#maxLength);
  }

  /**
   * Pad token ids from `encode` into one batch, on the right: to the longest row, to the context
   * length (`max_length` padding), or to `length` when the model's graph fixes it (rows are then
   * truncated to it too).
   */
  pad(encoded: readonly (readonly number[])[], fixed?: number): TokenBatch {
    if (encoded.length === 0) throw new InvalidInputError('invalid_input', 'no texts to encode');
    const rows = fixed === undefined ? encoded : encoded.map((ids) => keepingEnd(ids, fixed));
    const length =
      fixed ??
      (this.#padding === 'max_length' ? this.#maxLength : Math.max(...rows.map((ids) => ids.length)));
    const inputIds = new BigInt64Array(rows.length * length).fill(BigInt(this.#padId));
    const attentionMask = new BigInt64Array(rows.length * length);
    rows.forEach((ids, row) => {
      for (let i = 0; i < ids.length; i++) {
        inputIds[row * length + i] = BigInt(ids[i]!);
        attentionMask[row * length + i] = 1n;
      }
    });
    return { inputIds, attentionMask, batch: rows.length, length };
  }
}

/** `ids` cut to `max` tokens, keeping the end token: CLIP-style encoders pool at it. */
function keepingEnd(ids: readonly number[], max: number): number[] {
  if (ids.length <= max) return [...ids];
  return [...ids.slice(0, max - 1), ids[ids.length - 1]!];
}

function resolvePadId(tokenizer: Tokenizer, config: Record<string, unknown>): number {
  const token = (value: unknown): string | undefined =>
    typeof value === 'string' ? value : (value as { content?: string } | undefined)?.content;
  for (const candidate of [
    token(config.pad_token),
    token(config.eos_token),
    '<|endoftext|>',
    '</s>',
    '<pad>',
  ]) {
    if (candidate === undefined) continue;
    const id = tokenizer.token_to_id(candidate);
    if (id !== undefined) return id;
  }
  return 0;
}
