/**
 * A description source that answers from JSON supplied by the user: hand-written or previously
 * generated descriptors, pair descriptions and subclasses, validated with zod. No LLM is called.
 *
 * Shape: `{ descriptors?: { [label]: string[] }, pairs?: [{ classes: [a, b], attributes:
 * [{ attr_type, prompt_pair: [descForA, descForB] }] }], subclasses?: { [label]: string[] } }`.
 * `prompt_pair` follows the order of `classes` as written; answers are returned in canonical pair
 * order.
 */

import { z } from 'zod';
import { InvalidInputError, LlmError } from '../errors.js';
import type { AttributeDescription, DescriptionSource, PairDescription } from './description-source.js';
import { orderedPair, pairKey } from './pair-order.js';

const text = z.string().trim().min(1);

/** Zod schema of the JSON a static source reads. */
export const staticDescriptionsSchema = z.object({
  descriptors: z.record(z.string(), z.array(text)).default({}),
  pairs: z
    .array(
      z.object({
        classes: z.tuple([text, text]).refine(([a, b]) => a !== b, 'a pair needs two different classes'),
        attributes: z.array(z.object({ attr_type: text, prompt_pair: z.tuple([text, text]) })).min(1),
      }),
    )
    .default([]),
  subclasses: z.record(z.string(), z.array(text)).default({}),
});

/** The JSON a static source reads (before defaults are applied). */
export type StaticDescriptions = z.input<typeof staticDescriptionsSchema>;

/** Options of {@link staticSource}. */
export interface StaticSourceOptions {
  /** Cache identity. Default `static`. */
  id?: string;
}

function notFound(message: string): LlmError {
  return new LlmError('not_found', message);
}

/**
 * Creates a {@link DescriptionSource} from user JSON. Throws `InvalidInputError` (`invalid_input`)
 * when `data` does not have the shape above. A label or pair absent from the JSON rejects with
 * `LlmError` `not_found`, which callers treat like any failed description.
 */
export function staticSource(data: unknown, options: StaticSourceOptions = {}): DescriptionSource {
  const parsed = staticDescriptionsSchema.safeParse(data);
  if (!parsed.success) {
    throw new InvalidInputError(
      'invalid_input',
      `Static descriptions are invalid: ${z.prettifyError(parsed.error)}`,
      {
        details: { issues: parsed.error.issues },
      },
    );
  }
  const descriptors = new Map(Object.entries(parsed.data.descriptors));
  const subclasses = new Map(Object.entries(parsed.data.subclasses));
  const pairs = new Map<string, PairDescription>();
  for (const pair of parsed.data.pairs) {
    const [a, b] = pair.classes;
    const classes = orderedPair(a, b);
    const flipped = classes[0] !== a;
    const attributes: AttributeDescription[] = pair.attributes.map(({ attr_type, prompt_pair }) => ({
      attr_type,
      prompt_pair: flipped ? [prompt_pair[1], prompt_pair[0]] : [prompt_pair[0], prompt_pair[1]],
    }));
    // The same pair listed twice (in either order) pools its attributes.
    const existing = pairs.get(pairKey(a, b));
    pairs.set(pairKey(a, b), { classes, attributes: [...(existing?.attributes ?? []), ...attributes] });
  }

  return {
    id: options.id ?? 'static',
    async descriptors(label: string): Promise<string[]> {
      const found = descriptors.get(label);
      if (found === undefined || found.length === 0) throw notFound(`No static descriptors for "${label}"`);
      return [...found];
    },
    async subclasses(label: string): Promise<string[]> {
      const found = subclasses.get(label);
      if (found === undefined || found.length === 0) throw notFound(`No static subclasses for "${label}"`);
      return [...found];
    },
    async pairDescriptions(a: string, b: string): Promise<PairDescription> {
      const found = pairs.get(pairKey(a, b));
      if (found === undefined) throw notFound(`No static pair descriptions for "${a}" vs "${b}"`);
      return structuredClone(found);
    },
  };
}
