/**
 * The description source (LLM) that DESCRY_LLM selects, for the Worker and the Node server alike.
 * The API key of an OpenAI-compatible endpoint is a secret (LLM_API_KEY), never a var.
 */
import type { DescriptionSource } from 'descry/llm';
import { openAICompatibleSource, staticSource, workersAISource } from 'descry/llm';

/** The variables that configure the LLM. */
export interface LlmVars {
  DESCRY_LLM?: string | undefined;
  LLM_MODEL?: string | undefined;
  LLM_BASE_URL?: string | undefined;
  LLM_API_KEY?: string | undefined;
  LLM_STATIC_DESCRIPTIONS?: string | undefined;
  /** Time limit of one LLM call in milliseconds (default: the SDK's 20 s). */
  LLM_TIMEOUT_MS?: string | undefined;
}

const DEFAULT_WORKERS_AI_MODEL = '@cf/meta/llama-3.1-8b-instruct';

/**
 * The configured source, or undefined for "none". Throws on a half-configured LLM so that the
 * mistake shows at the first request rather than as degraded results forever.
 */
export function configuredDescriptionSource(
  vars: LlmVars,
  bindings: { ai?: Ai | undefined; fetch?: typeof fetch } = {},
): DescriptionSource | undefined {
  const choice = vars.DESCRY_LLM?.trim() || 'none';
  const timeoutMs = vars.LLM_TIMEOUT_MS ? Number(vars.LLM_TIMEOUT_MS) : undefined;
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
    throw new Error(`LLM_TIMEOUT_MS must be a positive integer, not ${JSON.stringify(vars.LLM_TIMEOUT_MS)}`);
  }
  const limits = timeoutMs === undefined ? {} : { timeoutMs };
  switch (choice) {
    case 'none':
      return undefined;
    case 'workers-ai':
      if (!bindings.ai) throw new Error('DESCRY_LLM is "workers-ai" but there is no AI binding');
      return workersAISource({
        binding: bindings.ai,
        model: vars.LLM_MODEL || DEFAULT_WORKERS_AI_MODEL,
        ...limits,
      });
    case 'openai-compatible':
      if (!vars.LLM_BASE_URL || !vars.LLM_MODEL) {
        throw new Error(
          'DESCRY_LLM is "openai-compatible": set LLM_BASE_URL and LLM_MODEL (and the LLM_API_KEY secret)',
        );
      }
      return openAICompatibleSource({
        baseURL: vars.LLM_BASE_URL,
        model: vars.LLM_MODEL,
        ...(vars.LLM_API_KEY ? { apiKey: vars.LLM_API_KEY } : {}),
        ...(bindings.fetch ? { fetch: bindings.fetch } : {}),
        ...limits,
      });
    case 'static':
      return staticSource(JSON.parse(vars.LLM_STATIC_DESCRIPTIONS || '{}'));
    default:
      throw new Error(
        `DESCRY_LLM must be none, workers-ai, openai-compatible or static, not ${JSON.stringify(choice)}`,
      );
  }
}
