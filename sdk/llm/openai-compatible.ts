/**
 * A description source on any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama,
 * llama.cpp...), through `@ai-sdk/openai-compatible` and `ai`: optional peers, loaded on the
 * source's first call (./ai-sdk.ts).
 */

import { loadOpenAICompatible } from './ai-sdk.js';
import type { DescriptionSource } from './description-source.js';
import { deferredLanguageModelSource, type LanguageModelSourceOptions } from './language-model-source.js';

const FEATURE = {
  name: 'openAICompatibleSource (descry/llm)',
  packages: ['ai', '@ai-sdk/openai-compatible'],
};

/** Options of {@link openAICompatibleSource}. */
export interface OpenAICompatibleSourceOptions extends LanguageModelSourceOptions {
  /** Base URL including the version path, e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`. */
  baseURL: string;
  /** Model name as the endpoint knows it, e.g. `gpt-4o-mini`. */
  model: string;
  /** Sent as `Authorization: Bearer <apiKey>` when given. */
  apiKey?: string;
  /** Provider name used in the default cache identity. Default `openai-compatible`. */
  name?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /**
   * Whether the endpoint honours `response_format: json_schema`. Default false: JSON mode
   * (`json_object`) with the shape described in the prompt, which more servers support.
   */
  supportsStructuredOutputs?: boolean;
  /** Custom fetch (proxies, tests). */
  fetch?: typeof globalThis.fetch;
}

/**
 * Creates a {@link DescriptionSource} on an OpenAI-compatible endpoint. Its calls reject with a
 * `DependencyMissingError` (`dependency_missing`) while `ai` or `@ai-sdk/openai-compatible` is not
 * installed.
 */
export function openAICompatibleSource(options: OpenAICompatibleSourceOptions): DescriptionSource {
  const name = options.name ?? 'openai-compatible';
  const model = async () => {
    const { createOpenAICompatible } = await loadOpenAICompatible(FEATURE);
    const provider = createOpenAICompatible({
      name,
      baseURL: options.baseURL,
      ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      supportsStructuredOutputs: options.supportsStructuredOutputs ?? false,
    });
    return provider.chatModel(options.model);
  };
  return deferredLanguageModelSource(options.id ?? `${name}:${options.model}`, model, options, FEATURE);
}
