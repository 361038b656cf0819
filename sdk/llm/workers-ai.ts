/** A description source on Cloudflare Workers AI, through the Worker's `AI` binding. */

import { createWorkersAI } from 'workers-ai-provider';
import type { DescriptionSource } from './description-source.js';
import { type LanguageModelSourceOptions, languageModelSource } from './language-model-source.js';

/** Options of {@link workersAISource}. */
export interface WorkersAISourceOptions extends LanguageModelSourceOptions {
  /** The Worker's Workers AI binding (`env.AI`). */
  binding: Ai;
  /** A text-generation model id, e.g. `@cf/meta/llama-3.1-8b-instruct`. */
  model: string;
}

/** Creates a {@link DescriptionSource} on Workers AI. Cache identity: `workers-ai:<model>`. */
export function workersAISource(options: WorkersAISourceOptions): DescriptionSource {
  const workersAI = createWorkersAI({ binding: options.binding });
  return languageModelSource(workersAI(options.model), {
    ...options,
    id: options.id ?? `workers-ai:${options.model}`,
  });
}
