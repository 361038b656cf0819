/**
 * The LLM options shared by `describe`, `precompute-pairs` and `classify --method fudd`, and what
 * to tell the user when every call failed: "could not connect" when no call got any HTTP answer.
 * Flags win; without them the same `DESCRY_LLM_*` variables as the service configure the LLM
 * (sdk/llm/config.ts), so one environment serves both.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { DescryError } from '../errors.js';
import { descriptionSourceFrom, LLM_VARS, type LlmConfig } from '../llm/config.js';
import type { DescriptionSource } from '../llm/description-source.js';
import { statusOf } from '../llm/llm-error.js';
import { openAICompatibleSource } from '../llm/openai-compatible.js';
import { staticSource } from '../llm/static.js';
import { readVars } from '../vars.js';
import { CliError } from './cli-error.js';

/** The parsed LLM options. */
export interface LlmOptions {
  llmUrl?: string;
  llmModel?: string;
  llmKeyEnv: string;
  static?: string;
}

/** Add the LLM options to `command`. */
export function withLlmOptions(command: Command): Command {
  return command
    .option('--llm-url <url>', 'OpenAI-compatible base URL, e.g. http://127.0.0.1:11434/v1')
    .option('--llm-model <name>', 'model name at that endpoint')
    .option('--llm-key-env <var>', 'environment variable holding the API key', 'DESCRY_LLM_API_KEY')
    .option('--static <file.json>', 'read descriptions from JSON instead of an LLM');
}

/** The LLM the environment configures (`DESCRY_LLM_*`), for options the flags leave out. */
function environmentLlm(): LlmConfig {
  return readVars(LLM_VARS, process.env, (message) => console.error(`descry: ${message}`));
}

/** Whether the options, or the environment, name a source at all. */
export function hasLlmSource(options: LlmOptions): boolean {
  return (
    options.static !== undefined ||
    (options.llmUrl !== undefined && options.llmModel !== undefined) ||
    environmentLlm().provider !== 'none'
  );
}

/** The description source the options name. */
export async function llmSource(options: LlmOptions): Promise<DescriptionSource> {
  if (options.static) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(options.static, 'utf8'));
    } catch (error) {
      throw new CliError(`--static ${options.static}: ${(error as Error).message}`);
    }
    return staticSource(json);
  }
  if (!options.llmUrl || !options.llmModel) {
    const configured = environmentLlm();
    const source = configured.provider === 'none' ? undefined : descriptionSourceFrom(configured);
    if (source) return source;
    throw new CliError(
      'give --llm-url and --llm-model (an OpenAI-compatible endpoint) or --static <file.json>, or set DESCRY_LLM',
    );
  }
  const apiKey = process.env[options.llmKeyEnv] ?? environmentLlm().apiKey;
  return openAICompatibleSource({
    baseURL: options.llmUrl,
    model: options.llmModel,
    ...(apiKey ? { apiKey } : {}),
  });
}

/**
 * The one-line reason when every call failed: "could not connect" when none got an HTTP answer
 * (refused, unresolvable, timed out), else the first failure.
 */
export function allFailedReason(errors: readonly DescryError[], options: LlmOptions): string {
  const where = options.llmUrl ?? options.static ?? 'the LLM';
  const first = errors[0];
  if (!first) return `no calls were made to ${where}`;
  if (options.llmUrl && errors.every((error) => statusOf(error) === undefined)) {
    return `could not connect to ${where}: ${first.message}`;
  }
  return `every call to ${where} failed; the first: ${first.code}: ${first.message}`;
}
