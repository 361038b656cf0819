/**
 * Description generation for classification by description (Menon & Vondrick), FuDD
 * (Esfandiarpoor & Bach) and subclasses (CHiLS, Novack et al.): one {@link DescriptionSource} interface with sources on any AI SDK
 * model, OpenAI-compatible endpoints, Workers AI and static JSON; the prompts and tolerant
 * parsers; caches on any store; and batch helpers that respect a deadline.
 *
 * Pair orientation: every {@link PairDescription} lists its classes in canonical order
 * ({@link orderedPair}: `[a, b].sort()`), and `prompt_pair[i]` describes `classes[i]`.
 *
 * @module
 */

export { type PoolOptions, type Settled, settleAll } from './bounded-pool.js';
export { DEFAULT_WORKERS_AI_MODEL, descriptionSourceFrom, LLM_VARS, type LlmConfig } from './config.js';
export {
  type DescribeClassesOptions,
  type DescribedClasses,
  describeClasses,
} from './describe-classes.js';
export {
  type DescribedPairs,
  type DescribePairsOptions,
  describePairs,
  type PairFailure,
} from './describe-pairs.js';
export {
  type DescribedSubclasses,
  type DescribeSubclassesOptions,
  describeSubclasses,
} from './describe-subclasses.js';
export {
  type DescriptionCacheOptions,
  DescriptorCache,
  PairDescriptionCache,
  SubclassCache,
} from './description-cache.js';
export type {
  AttributeDescription,
  DescriptionSource,
  DescriptorRequestOptions,
  PairDescription,
  SourceCallOptions,
} from './description-source.js';
export { type DescriptorListOptions, parseDescriptorList } from './descriptor-list-parser.js';
export {
  type LanguageModelLike,
  type LanguageModelSourceOptions,
  languageModelSource,
  type PairOutputMode,
} from './language-model-source.js';
export { type OpenAICompatibleSourceOptions, openAICompatibleSource } from './openai-compatible.js';
export {
  normalizePairAnswer,
  type PairAnswer,
  pairAnswerSchema,
  parsePairDescriptionText,
} from './pair-description-parser.js';
export { orderedPair, sideOf } from './pair-order.js';
export {
  allPairs,
  type PrecomputeOptions,
  type PrecomputeProgress,
  type PrecomputeReport,
  precomputePairs,
} from './precompute.js';
export {
  type ChatPrompt,
  type ChatTurn,
  DEFAULT_SUBCLASS_COUNT,
  descriptorPrompt,
  pairJsonPrompt,
  pairTextPrompt,
  subclassPrompt,
} from './prompts.js';
export {
  type StaticDescriptions,
  type StaticSourceOptions,
  staticDescriptionsSchema,
  staticSource,
} from './static.js';
export { parseSubclassList, type SubclassListOptions } from './subclass-list-parser.js';
export { type WorkersAIBinding, type WorkersAISourceOptions, workersAISource } from './workers-ai.js';
