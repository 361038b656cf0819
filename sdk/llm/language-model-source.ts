/**
 * A {@link DescriptionSource} over any AI SDK language model: descriptors from a few-shot chat
 * prompt parsed as a list, pair descriptions as structured output with a text fallback. Every
 * call is bounded by a timeout, and every failure becomes an `LlmError`. The `ai` package is an
 * optional peer, loaded on the first call (./ai-sdk.ts): without it that call rejects with a
 * `DependencyMissingError` naming it.
 */

import type { LanguageModel } from 'ai';
import { InvalidInputError, LlmError } from '../errors.js';
import { type AiModule, type Feature, loadAi } from './ai-sdk.js';
import type {
  DescriptionSource,
  DescriptorRequestOptions,
  PairDescription,
  SourceCallOptions,
} from './description-source.js';
import { parseDescriptorList } from './descriptor-list-parser.js';
import { statusOf, toLlmError } from './llm-error.js';
import {
  normalizePairAnswer,
  pairAnswerSchema,
  parsePairDescriptionText,
} from './pair-description-parser.js';
import {
  type ChatPrompt,
  DEFAULT_SUBCLASS_COUNT,
  descriptorPrompt,
  pairJsonPrompt,
  pairTextPrompt,
  subclassPrompt,
} from './prompts.js';
import { parseSubclassList } from './subclass-list-parser.js';
import { limitSignal, untilAborted } from './time-limit.js';

/**
 * An AI SDK language model: what the `ai` package's `LanguageModel` type accepts, a provider's
 * model object (`openai('gpt-4o-mini')`) or a gateway model id. Declared structurally, by what
 * every such model has, so that descry/llm's types do not need the `ai` package; the model is
 * handed to `ai`'s `generateText` as it is.
 */
export type LanguageModelLike =
  | string
  | { readonly specificationVersion: string; readonly provider: string; readonly modelId: string };

/**
 * How pair descriptions are requested:
 * - `json`: structured output only (JSON mode / JSON schema);
 * - `text`: the line format, parsed from text (for endpoints without JSON mode);
 * - `auto` (default): structured output; if the answer is not valid JSON its text is parsed
 *   leniently, and if the endpoint rejects JSON mode (HTTP 400/404/422) the text format is asked.
 */
export type PairOutputMode = 'json' | 'text' | 'auto';

/** Options of {@link languageModelSource}. */
export interface LanguageModelSourceOptions {
  /** Cache identity; default `provider:modelId` of the model. */
  id?: string;
  /** Time limit of one source call, retries and fallbacks included. Default 20 000 ms. */
  timeoutMs?: number;
  /** Retries of a failed HTTP call (429, 5xx) inside the time limit. Default 1. */
  maxRetries?: number;
  /** See {@link PairOutputMode}. Default `auto`. */
  pairOutput?: PairOutputMode;
  /** Attributes asked per pair. Default 5. */
  maxAttributes?: number;
  /** Descriptors kept per class. Default 12. */
  maxDescriptors?: number;
  /** Subclasses asked and kept per label (CHiLS's label-set size). Default 10. */
  subclassCount?: number;
  /** Sampling temperature. Default 0, so that repeated runs give the same descriptions. */
  temperature?: number;
  /** Output token cap per call. Default 800. */
  maxOutputTokens?: number;
}

const DEFAULT_TIMEOUT_MS = 20_000;

function modelIdentity(model: LanguageModelLike): string {
  if (typeof model === 'string') return model;
  return `${model.provider}:${model.modelId}`;
}

function requireLabel(label: string, what: string): string {
  if (typeof label !== 'string' || label.trim() === '') {
    throw new InvalidInputError('invalid_input', `${what} must be a non-empty string`);
  }
  return label;
}

/** Creates a {@link DescriptionSource} that asks `model`. */
export function languageModelSource(
  model: LanguageModelLike,
  options: LanguageModelSourceOptions = {},
): DescriptionSource {
  return deferredLanguageModelSource(options.id ?? modelIdentity(model), async () => model, options, {
    name: 'languageModelSource (descry/llm)',
    packages: ['ai'],
  });
}

/** What one call works with: the loaded `ai` package, the model, the call's signal. */
interface Call {
  ai: AiModule;
  model: LanguageModel;
  signal: AbortSignal;
}

/**
 * A {@link languageModelSource} whose model is made on the first call, so the provider's package
 * (an optional peer) loads then: `feature` names the source in a missing package's error.
 */
export function deferredLanguageModelSource(
  id: string,
  makeModel: () => Promise<LanguageModelLike>,
  options: LanguageModelSourceOptions,
  feature: Feature,
): DescriptionSource {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const pairOutput = options.pairOutput ?? 'auto';
  const maxAttributes = options.maxAttributes ?? 5;
  const maxDescriptors = options.maxDescriptors ?? 12;
  const subclassCount = options.subclassCount ?? DEFAULT_SUBCLASS_COUNT;
  const settings = {
    maxRetries: options.maxRetries ?? 1,
    temperature: options.temperature ?? 0,
    maxOutputTokens: options.maxOutputTokens ?? 800,
  };
  let made: Promise<LanguageModel> | undefined;
  const model = () => {
    made ??= makeModel().then(
      (m) => m as LanguageModel,
      (error: unknown) => {
        made = undefined;
        throw error;
      },
    );
    return made;
  };

  /** Runs `work` under the call's time limit and maps any failure to an LlmError. */
  async function bounded<T>(task: string, parent: AbortSignal | undefined, work: (call: Call) => Promise<T>) {
    const { signal, timeout } = limitSignal(timeoutMs, parent);
    let ai: AiModule | undefined;
    const run = async () => {
      ai = await loadAi(feature);
      return work({ ai, model: await model(), signal });
    };
    try {
      return await untilAborted(run(), signal);
    } catch (error) {
      throw toLlmError(
        error,
        { task, timeoutMs, timedOut: timeout.aborted, cancelled: parent?.aborted === true },
        ai,
      );
    }
  }

  async function askText(call: Call, prompt: ChatPrompt): Promise<string> {
    const result = await call.ai.generateText({
      model: call.model,
      ...prompt,
      abortSignal: call.signal,
      ...settings,
    });
    return result.text;
  }

  async function askPairJson(call: Call, a: string, b: string): Promise<PairDescription> {
    const { ai } = call;
    try {
      const result = await ai.generateText({
        model: call.model,
        ...pairJsonPrompt(a, b, maxAttributes),
        output: ai.Output.object({ schema: pairAnswerSchema(a, b), name: 'pair_descriptions' }),
        abortSignal: call.signal,
        ...settings,
      });
      return normalizePairAnswer(result.output, a, b);
    } catch (error) {
      // The model answered, but not with schema-valid JSON: its text may still hold the answer.
      if (pairOutput === 'auto' && ai.NoObjectGeneratedError.isInstance(error) && error.text !== undefined) {
        return parsePairDescriptionText(error.text, a, b);
      }
      throw error;
    }
  }

  async function askPairText(call: Call, a: string, b: string): Promise<PairDescription> {
    return parsePairDescriptionText(await askText(call, pairTextPrompt(a, b, maxAttributes)), a, b);
  }

  /** One list about `label` (descriptors, subclasses): asked, parsed, and never empty. */
  async function askList(
    what: string,
    label: string,
    request: DescriptorRequestOptions,
    prompt: ChatPrompt,
    parse: (text: string) => string[],
  ): Promise<string[]> {
    requireLabel(label, 'The label');
    return bounded(`${what} of "${label}"`, request.signal, async (call) => {
      const text = await askText(call, prompt);
      const items = parse(text);
      if (items.length === 0) {
        throw new LlmError('llm_output_invalid', `The answer for "${label}" contains no list of ${what}`, {
          details: { label, answer: text.slice(0, 500) },
        });
      }
      return items;
    });
  }

  return {
    id,

    async descriptors(label: string, request: DescriptorRequestOptions = {}): Promise<string[]> {
      return askList('descriptors', label, request, descriptorPrompt(label, request.context), (text) =>
        parseDescriptorList(text, { maxItems: maxDescriptors }),
      );
    },

    async subclasses(label: string, request: DescriptorRequestOptions = {}): Promise<string[]> {
      const prompt = subclassPrompt(label, request.context, subclassCount);
      return askList('subclasses', label, request, prompt, (text) =>
        parseSubclassList(text, { maxItems: subclassCount }),
      );
    },

    async pairDescriptions(a: string, b: string, request: SourceCallOptions = {}): Promise<PairDescription> {
      requireLabel(a, 'The first label');
      requireLabel(b, 'The second label');
      if (a === b)
        throw new InvalidInputError('invalid_input', `A pair needs two different labels, got "${a}" twice`);
      return bounded(`pair "${a}" vs "${b}"`, request.signal, async (call) => {
        if (pairOutput === 'text') return askPairText(call, a, b);
        try {
          return await askPairJson(call, a, b);
        } catch (error) {
          const status = statusOf(error, call.ai);
          const jsonModeRejected = status === 400 || status === 404 || status === 422;
          if (pairOutput === 'auto' && jsonModeRejected && !call.signal.aborted)
            return askPairText(call, a, b);
          throw error;
        }
      });
    },
  };
}
