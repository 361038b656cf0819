/**
 * Which LLM answers for descriptors and FuDD pairs, configured by the same variables in the
 * service (Worker vars and secrets, the Node server's environment) and the CLI: `DESCRY_LLM_*`.
 * The older unprefixed `LLM_*` names still work, with a deprecation warning. The API key of an
 * OpenAI-compatible endpoint is a secret, never a var.
 */
import { ConfigError, type VarValues, vars } from '../vars.js';
import type { DescriptionSource } from './description-source.js';
import { openAICompatibleSource } from './openai-compatible.js';
import { staticSource } from './static.js';
import { type WorkersAIBinding, workersAISource } from './workers-ai.js';

/** The default Workers AI model. */
export const DEFAULT_WORKERS_AI_MODEL = '@cf/meta/llama-3.1-8b-instruct';

/** The LLM's variables. */
export const LLM_VARS = {
  provider: vars.oneOf(
    'DESCRY_LLM',
    'the LLM behind /describe and FuDD: `none`, `workers-ai` (binding `AI`), `openai-compatible`, or `static` (JSON)',
    ['none', 'workers-ai', 'openai-compatible', 'static'],
    'none',
  ),
  model: vars.text(
    'DESCRY_LLM_MODEL',
    `model name (Workers AI default: ${DEFAULT_WORKERS_AI_MODEL})`,
    undefined,
    {
      aliases: ['LLM_MODEL'],
    },
  ),
  baseUrl: vars.text('DESCRY_LLM_BASE_URL', 'base URL of an OpenAI-compatible endpoint', undefined, {
    aliases: ['LLM_BASE_URL'],
  }),
  apiKey: vars.text('DESCRY_LLM_API_KEY', 'API key of that endpoint', undefined, {
    aliases: ['LLM_API_KEY'],
    secret: true,
  }),
  timeoutMs: vars.integer('DESCRY_LLM_TIMEOUT_MS', 'time limit of one LLM call, in milliseconds', 20_000, 1, {
    aliases: ['LLM_TIMEOUT_MS'],
  }),
  staticDescriptions: vars.text(
    'DESCRY_LLM_STATIC_DESCRIPTIONS',
    'JSON of descriptors and pairs for `DESCRY_LLM=static`',
    undefined,
    { aliases: ['LLM_STATIC_DESCRIPTIONS'] },
  ),
} as const;

/** The resolved LLM configuration. */
export type LlmConfig = VarValues<typeof LLM_VARS>;

/**
 * The configured source, or undefined for `none`. Throws {@link ConfigError} on a half-configured
 * LLM, so the mistake shows at start rather than as degraded results forever.
 */
export function descriptionSourceFrom(
  config: LlmConfig,
  bindings: { ai?: WorkersAIBinding | undefined; fetch?: typeof fetch } = {},
): DescriptionSource | undefined {
  const limits = { timeoutMs: config.timeoutMs };
  switch (config.provider) {
    case 'none':
      return undefined;
    case 'workers-ai':
      if (!bindings.ai) throw new ConfigError('DESCRY_LLM is "workers-ai" but there is no AI binding');
      return workersAISource({
        binding: bindings.ai,
        model: config.model || DEFAULT_WORKERS_AI_MODEL,
        ...limits,
      });
    case 'openai-compatible':
      if (!config.baseUrl || !config.model) {
        throw new ConfigError(
          'DESCRY_LLM is "openai-compatible": set DESCRY_LLM_BASE_URL and DESCRY_LLM_MODEL (and the DESCRY_LLM_API_KEY secret)',
        );
      }
      return openAICompatibleSource({
        baseURL: config.baseUrl,
        model: config.model,
        ...(config.apiKey ? { apiKey: config.apiKey } : {}),
        ...(bindings.fetch ? { fetch: bindings.fetch } : {}),
        ...limits,
      });
    case 'static': {
      let json: unknown;
      try {
        json = JSON.parse(config.staticDescriptions || '{}');
      } catch (cause) {
        throw new ConfigError(`DESCRY_LLM_STATIC_DESCRIPTIONS is not JSON: ${(cause as Error).message}`);
      }
      return staticSource(json);
    }
  }
}
