/**
 * The one interface through which the SDK obtains class descriptions, whatever answers them:
 * an LLM behind the AI SDK, Workers AI, or descriptions supplied as JSON.
 */

/**
 * One attribute that tells two classes apart, with one sentence per class.
 * `prompt_pair[0]` describes `classes[0]` of the owning {@link PairDescription}, `prompt_pair[1]`
 * describes `classes[1]`.
 */
export interface AttributeDescription {
  attr_type: string;
  prompt_pair: [string, string];
}

/**
 * FuDD differential descriptions of a class pair. `classes` is always in canonical order
 * (see {@link orderedPair}: sorted by UTF-16 code units, as `[a, b].sort()`), whatever order the
 * pair was asked in, and every `prompt_pair` follows that order.
 */
export interface PairDescription {
  classes: [string, string];
  attributes: AttributeDescription[];
}

/** Options every source call accepts. */
export interface SourceCallOptions {
  /** Cancels the call; the source rejects with `LlmError` `llm_timeout` soon after. */
  signal?: AbortSignal;
}

/** Options of {@link DescriptionSource.descriptors}. */
export interface DescriptorRequestOptions extends SourceCallOptions {
  /** What kind of thing the label is (e.g. "bird species"), to disambiguate names like "crane". */
  context?: string;
}

/**
 * A source of descriptors (Menon & Vondrick), pair descriptions (FuDD) and, optionally, subclasses
 * (CHiLS).
 * Failures reject with `LlmError`: `llm_failed`, `llm_timeout`, `llm_output_invalid`, or
 * `not_found` for a static source without the entry.
 */
export interface DescriptionSource {
  /** Identity of what answers (e.g. `openai-compatible:gpt-4o-mini`): caches are namespaced by it. */
  readonly id: string;
  /** Short visual descriptors of `label`, e.g. `["long tail", "large eyes"]`; never empty. */
  descriptors(label: string, options?: DescriptorRequestOptions): Promise<string[]>;
  /** Attributes that differ between `a` and `b`, in canonical pair order. */
  pairDescriptions(a: string, b: string, options?: SourceCallOptions): Promise<PairDescription>;
  /**
   * Kinds of `label` for method 'subclasses' (CHiLS), e.g. `["tabby cat", "siamese cat"]`; never
   * empty. Optional: a source that cannot answer leaves it out.
   */
  subclasses?(label: string, options?: DescriptorRequestOptions): Promise<string[]>;
}
