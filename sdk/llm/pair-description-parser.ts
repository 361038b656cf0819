/**
 * Reading FuDD pair descriptions out of LLM answers: the zod schema for structured output, the
 * normalisation to canonical pair order, and a fallback for answers that are not clean JSON
 * (JSON inside prose or code fences, or the "Attribute: / class: sentence" text format).
 */

import { z } from 'zod';
import { LlmError } from '../errors.js';
import type { AttributeDescription, PairDescription } from './description-source.js';
import { orderedPair } from './pair-order.js';

/** The structured answer asked of the model: descriptions keyed by the exact class names. */
export interface PairAnswer {
  attributes: Array<{ attr_type: string; descriptions: Record<string, string> }>;
}

/** Zod schema of {@link PairAnswer} for classes `a` and `b` (used for JSON-mode output). */
export function pairAnswerSchema(a: string, b: string) {
  const sentence = z.string().trim().min(1);
  return z.object({
    attributes: z
      .array(
        z.object({
          attr_type: z.string().trim().min(1),
          descriptions: z.object({ [a]: sentence, [b]: sentence }),
        }),
      )
      .min(1),
  });
}

function cleanSentence(text: string): string {
  return text
    .replace(/\*\*|__|`/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^["“]|["”]$/g, '');
}

/**
 * Builds the canonical {@link PairDescription} from an answer keyed by class name. Class keys are
 * matched exactly, then case-insensitively; attributes missing a side or repeating an earlier
 * `attr_type` are dropped. Throws `llm_output_invalid` when no attribute survives.
 */
export function normalizePairAnswer(answer: PairAnswer, a: string, b: string): PairDescription {
  const classes = orderedPair(a, b);
  const attributes: AttributeDescription[] = [];
  const seen = new Set<string>();
  for (const attribute of answer.attributes) {
    const lookup = (label: string): string | undefined => {
      const exact = attribute.descriptions[label];
      if (exact !== undefined) return exact;
      const wanted = label.trim().toLowerCase();
      const key = Object.keys(attribute.descriptions).find((k) => k.trim().toLowerCase() === wanted);
      return key === undefined ? undefined : attribute.descriptions[key];
    };
    const first = lookup(classes[0]);
    const second = lookup(classes[1]);
    const type = cleanSentence(attribute.attr_type);
    if (first === undefined || second === undefined || type === '') continue;
    const [firstText, secondText] = [cleanSentence(first), cleanSentence(second)];
    if (firstText === '' || secondText === '' || seen.has(type.toLowerCase())) continue;
    seen.add(type.toLowerCase());
    attributes.push({ attr_type: type, prompt_pair: [firstText, secondText] });
  }
  if (attributes.length === 0) {
    throw new LlmError('llm_output_invalid', `The answer for "${a}" vs "${b}" has no usable attribute`, {
      details: { classes },
    });
  }
  return { classes, attributes };
}

// Lenient shape for JSON found in free text: descriptions keyed by class name, any extra fields.
const looseAnswer = z.object({
  attributes: z.array(
    z.object({
      attr_type: z.string(),
      descriptions: z.record(z.string(), z.string()),
    }),
  ),
});

/** The outermost JSON object in `text`, trying fenced blocks first. */
function findJson(text: string): unknown {
  const candidates: string[] = [];
  for (const fence of text.matchAll(/```(?:json)?\s*([\s\S]*?)```/gi)) candidates.push(fence[1]!);
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start >= 0 && end > start) candidates.push(text.slice(start, end + 1));
  for (const candidate of candidates) {
    try {
      return JSON.parse(candidate);
    } catch {
      // Not this one: try the next candidate.
    }
  }
  return undefined;
}

const LINE_MARKER = /^(?:[-*+•]|\d{1,3}[.)])\s+/;

/** Reads the line format of {@link pairTextPrompt} and the markdown variants models produce. */
function parseLines(text: string, a: string, b: string): PairAnswer {
  const labels = [a, b].sort((x, y) => y.length - x.length);
  const attributes: PairAnswer['attributes'] = [];
  let current: PairAnswer['attributes'][number] | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine
      .trim()
      .replace(LINE_MARKER, '')
      .replace(/^#{1,6}\s*/, '')
      .trim();
    if (line === '' || line.startsWith('```')) continue;
    const plain = line.replace(/\*\*|__/g, '').trim();
    const label = labels.find((l) => {
      const head = plain.slice(0, l.length).toLowerCase();
      return head === l.toLowerCase() && /^\s*[:\-–—]/.test(plain.slice(l.length));
    });
    if (label !== undefined) {
      const sentence = plain.slice(label.length).replace(/^\s*[:\-–—]\s*/, '');
      if (current !== undefined && sentence !== '') current.descriptions[label] = sentence;
      continue;
    }
    const name = plain
      .replace(/^attribute\s*\d*\s*[:\-–—]\s*/i, '')
      .replace(/:$/, '')
      .trim();
    current = { attr_type: name, descriptions: {} };
    attributes.push(current);
  }
  return { attributes };
}

/**
 * Parses a free-text answer about `a` vs `b`: JSON anywhere in it (fenced or in prose), otherwise
 * the line format. Returns the canonical {@link PairDescription}; throws `llm_output_invalid`
 * when neither yields an attribute with both sides.
 */
export function parsePairDescriptionText(text: string, a: string, b: string): PairDescription {
  const json = looseAnswer.safeParse(findJson(text));
  if (json.success) {
    try {
      return normalizePairAnswer(json.data, a, b);
    } catch {
      // JSON present but unusable: the line format may still hold the answer.
    }
  }
  return normalizePairAnswer(parseLines(text, a, b), a, b);
}
