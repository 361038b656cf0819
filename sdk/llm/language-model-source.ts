/**
 * A {@link DescriptionSource} over any AI SDK language model: descriptors from a few-shot chat
 * prompt parsed as a list, pair descriptions as structured output with a text fallback. Every
 * call is bounded by a timeout, and every failure becomes an `LlmError`.
 */

import { generateText, type LanguageModel, NoObjectGeneratedError, Output } from 'ai';
import { InvalidInputError, LlmError } from '../errors.js';
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

function modelIdentity(model: LanguageModel): string {
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
  model: LanguageModel,
  options: LanguageModelSourceOptions = {},
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

  /** Runs `work` under the call's time limit and maps any failure to an LlmError. */
  async function bounded<T>(
    task: string,
    parent: AbortSignal | undefined,
    work: (signal: AbortSignal) => Promise<T>,
  ) {
    const { signal, timeout } = limitSignal(timeoutMs, parent);
    try {
      return await untilAborted(work(signal), signal);
    } catch (error) {
      throw toLlmError(error, {
        task,
        timeoutMs,
        timedOut: timeout.aborted,
        cancelled: parent?.aborted === true,
      });
    }
  }

  async function askText(prompt: ChatPrompt, signal: AbortSignal): Promise<string> {
    const result = await generateText({ model, ...prompt, abortSignal: signal, ...settings });
    return result.text;
  }

  async function askPairJson(a: string, b: string, signal: AbortSignal): Promise<PairDescription> {
    try {
      const result = await generateText({
        model,
        ...pairJsonPrompt(a, b, maxAttributes),
        output: Output.object({ schema: pairAnswerSchema(a, b), name: 'pair_descriptions' }),
        abortSignal: signal,
        ...settings,
      });
      return normalizePairAnswer(result.output, a, b);
    } catch (error) {
      // The model answered, but not with schema-valid JSON: its text may still hold the answer.
      if (pairOutput === 'auto' && NoObjectGeneratedError.isInstance(error) && error.text !== undefined) {
        return parsePairDescriptionText(error.text, a, b);
      }
      throw error;
    }
  }

  async function askPairText(a: string, b: string, signal: AbortSignal): Promise<PairDescription> {
    return parsePairDescriptionText(await askText(pairTextPrompt(a, b, maxAttributes), signal), a, b);
  }

  return {
    id: options.id ?? modelIdentity(model),

    async descriptors(label: string, call: DescriptorRequestOptions = {}): Promise<string[]> {
      requireLabel(label, 'The label');
      return bounded(`descriptors of "${label}"`, call.signal, async (signal) => {
        const text = await askText(descriptorPrompt(label, call.context), signal);
        const descriptors = parseDescriptorList(text, { maxItems: maxDescriptors });
        if (descriptors.length === 0) {
          throw new LlmError(
            'llm_output_invalid',
            `The answer for "${label}" contains no list of descriptors`,
            {
              details: { label, answer: text.slice(0, 500) },
            },
          );
        }
        return descriptors;
      });
    },

    async subclasses(label: string, call: DescriptorRequestOptions = {}): Promise<string[]> {
      requireLabel(label, 'The label');
      return bounded(`subclasses of "${label}"`, call.signal, async (signal) => {
        const text = await askText(subclassPrompt(label, call.context, subclassCount), signal);
        const subclasses = parseSubclassList(text, { maxItems: subclassCount });
        if (subclasses.length === 0) {
          throw new LlmError(
            'llm_output_invalid',
            `The answer for "${label}" contains no list of subclasses`,
            {
              details: { label, answer: text.slice(0, 500) },
            },
          );
        }
        return subclasses;
      });
    },

    async pairDescriptions(a: string, b: string, call: SourceCallOptions = {}): Promise<PairDescription> {
      requireLabel(a, 'The first label');
      requireLabel(b, 'The second label');
      if (a === b)
        throw new InvalidInputError('invalid_input', `A pair needs two different labels, got "${a}" twice`);
      return bounded(`pair "${a}" vs "${b}"`, call.signal, async (signal) => {
        if (pairOutput === 'text') return askPairText(a, b, signal);
        try {
          return await askPairJson(a, b, signal);
        } catch (error) {
          const status = statusOf(error);
          const jsonModeRejected = status === 400 || status === 404 || status === 422;
          if (pairOutput === 'auto' && jsonModeRejected && !signal.aborted) return askPairText(a, b, signal);
          throw error;
        }
      });
    },
  };
}
