/**
 * Descriptor prompts of Menon & Vondrick (ICLR 2023, "Visual Classification via Description
 * from Large Language Models"): each LLM descriptor of a class becomes
 * `"{class}, {clause}{suffix}"`, where the clause turns the descriptor into a relative
 * clause. Their rule, case-sensitive, first match wins:
 *   1. an article ("a " / "an ")                       → "which is {d}"
 *   2. first word has / often / typically / may / can → "which {d}"
 *   3. first word used                                → "which is {d}"
 *   4. otherwise                                      → "which has {d}"
 *
 * Deviation: their code tests string prefixes (`startswith('a')`, `startswith('can')`, ...),
 * so "antennae" becomes "which is antennae" and "canopy of leaves" becomes "which canopy of
 * leaves". We test whole first words instead ("a "/"an " for the article, "can" only as a
 * word), which gives "which has antennae" and "which has canopy of leaves" and changes no
 * prompt whose descriptor starts with the intended word. Descriptors are trimmed first.
 */
import { InvalidInputError } from '../errors.js';
import type { DescriptorMap } from '../types.js';

/** A descriptor and the prompt built from it. */
export interface DescriptorPrompt {
  descriptor: string;
  prompt: string;
}

const VERB_WORDS = new Set(['has', 'often', 'typically', 'may', 'can']);

/**
 * The relative clause for one descriptor, e.g. "has four legs" → "which has four legs",
 * "a long tail" → "which is a long tail", "antennae" → "which has antennae".
 *
 * @throws InvalidInputError for a blank descriptor.
 */
export function descriptorClause(descriptor: string): string {
  const d = descriptor.trim();
  if (d === '') throw new InvalidInputError('invalid_input', 'a descriptor must not be blank');
  if (d.startsWith('a ') || d.startsWith('an ')) return `which is ${d}`;
  const firstWord = d.split(/\s/, 1)[0]!;
  if (VERB_WORDS.has(firstWord)) return `which ${d}`;
  if (firstWord === 'used') return `which is ${d}`;
  return `which has ${d}`;
}

/** The paper's prompt shape. Slots: `{class}`, `{clause}` (the relative clause), `{descriptor}` (as given). */
export const PAPER_DESCRIPTOR_TEMPLATE = '{class}, {clause}';

/** `"{className}, {clause}{suffix}"`, e.g. ("bee", "antennae") → "bee, which has antennae". */
export function descriptorPrompt(className: string, descriptor: string, suffix = ''): string {
  return `${className}, ${descriptorClause(descriptor)}${suffix}`;
}

/**
 * A descriptor prompt from a template with `{class}`, `{clause}` and `{descriptor}` slots. The
 * paper's template suits CLIP's web-caption training; a model trained on other captions may need
 * its own (the embedded emoji model reads "an emoji of {descriptor}" far better, see README).
 *
 * @throws InvalidInputError for a blank descriptor or a template without a descriptor slot.
 */
export function descriptorPromptFromTemplate(
  template: string,
  className: string,
  descriptor: string,
): string {
  if (!template.includes('{clause}') && !template.includes('{descriptor}')) {
    throw new InvalidInputError(
      'invalid_input',
      'a descriptor template needs a {clause} or {descriptor} slot',
    );
  }
  const d = descriptor.trim();
  const clause = descriptorClause(d);
  return template.replace(/\{(class|clause|descriptor)\}/g, (_, slot: string) =>
    slot === 'class' ? className : slot === 'clause' ? clause : d,
  );
}

/**
 * Prompts for every class of a descriptor map, in the map's key order. Blank descriptors
 * (a stray empty line of LLM output) are skipped; a class may end up with none, which the
 * description predictor handles with its class-name fallback.
 */
export function descriptorPrompts(descriptors: DescriptorMap, suffix = ''): Map<string, DescriptorPrompt[]> {
  const prompts = new Map<string, DescriptorPrompt[]>();
  for (const [className, list] of Object.entries(descriptors)) {
    prompts.set(
      className,
      list
        .map((descriptor) => descriptor.trim())
        .filter((descriptor) => descriptor !== '')
        .map((descriptor) => ({ descriptor, prompt: descriptorPrompt(className, descriptor, suffix) })),
    );
  }
  return prompts;
}
