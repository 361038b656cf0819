/**
 * Prompt templates: a template is a sentence with a `{}` (or `{label}`) slot for the class name.
 */
import { InvalidInputError } from '../errors.js';

/** transformers.js's default `hypothesis_template` for `zero-shot-image-classification`. */
export const TRANSFORMERS_JS_TEMPLATE = 'This is a photo of {}';

/**
 * Default prompt ensemble for the embedded emoji model. Every template is one the model
 * saw in its training captions (models/scripts/captions.py), so each is in-distribution;
 * the set mixes the emoji, icon and photo framings the model learned.
 */
export const EMOJI_TEMPLATES: readonly string[] = [
  'an emoji of {}',
  'a {} emoji',
  'an icon of {}',
  'a photo of a {}',
  'a drawing of {}',
  '{}',
];

/** FuDD's first-pass prompt (Esfandiarpoor & Bach, 2024). */
export const FUDD_FIRST_PASS_TEMPLATE = 'A photo of a {}.';

/** FuDD's text for a class whose pair has no differential descriptions. */
export const FUDD_FALLBACK_TEMPLATE = 'a photo of a {}.';

const SLOT = /\{(?:label)?\}/g;

/**
 * Fills every `{}` and `{label}` slot of `template` with `label`. The label is inserted
 * literally (a `$&` in a label stays `$&`, unlike with a replacement string).
 *
 * @throws InvalidInputError when the template has no slot: every class would get the same
 *   text and the classifier could not tell them apart.
 */
export function applyTemplate(template: string, label: string): string {
  const parts = template.split(SLOT);
  if (parts.length === 1) {
    throw new InvalidInputError('invalid_input', `template ${JSON.stringify(template)} has no {} slot`);
  }
  return parts.join(label);
}
