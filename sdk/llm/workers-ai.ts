/**
 * A description source on Cloudflare Workers AI, through the Worker's `AI` binding and
 * `workers-ai-provider` with `ai` (optional peers, loaded on the source's first call: ./ai-sdk.ts).
 * The binding's type is declared structurally ({@link WorkersAIBinding}), so the package's types
 * check without @cloudflare/workers-types; a Worker's `Ai` is one.
 */

import { loadWorkersAIProvider } from './ai-sdk.js';
import type { DescriptionSource } from './description-source.js';
import { deferredLanguageModelSource, type LanguageModelSourceOptions } from './language-model-source.js';

const FEATURE = { name: 'workersAISource (descry/llm)', packages: ['ai', 'workers-ai-provider'] };

/** A Workers AI binding (`env.AI`, of type `Ai` in @cloudflare/workers-types): it runs models. */
export interface WorkersAIBinding {
  run(...args: never[]): Promise<unknown>;
}

/** Options of {@link workersAISource}. */
export interface WorkersAISourceOptions extends LanguageModelSourceOptions {
  /** The Worker's Workers AI binding (`env.AI`). */
  binding: WorkersAIBinding;
  /** A text-generation model id, e.g. `@cf/meta/llama-3.1-8b-instruct`. */
  model: string;
}

/**
 * Creates a {@link DescriptionSource} on Workers AI. Cache identity: `workers-ai:<model>`. Its
 * calls reject with a `DependencyMissingError` while `ai` or `workers-ai-provider` is missing.
 */
export function workersAISource(options: WorkersAISourceOptions): DescriptionSource {
  const model = async () => {
    const { createWorkersAI } = await loadWorkersAIProvider(FEATURE);
    // The binding is the platform's `Ai`: the structural type above is what this module states.
    return createWorkersAI({ binding: options.binding as unknown as Ai })(options.model);
  };
  return deferredLanguageModelSource(options.id ?? `workers-ai:${options.model}`, model, options, FEATURE);
}
