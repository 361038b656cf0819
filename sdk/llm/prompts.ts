/**
 * The prompts sent to LLMs. The descriptor prompt is Menon & Vondrick's few-shot prompt turned
 * into chat turns; the pair prompt asks for FuDD's differential descriptions; the subclass prompt
 * is CHiLS's (Novack et al., ICML 2023, `query_gpt` in their src/zshot_utils.py) as a chat turn.
 */

/**
 * One chat turn: plain text from the user or the assistant. An AI SDK `ModelMessage`, declared
 * here so that descry/llm's types do not need the `ai` package (an optional peer).
 */
export type ChatTurn = { role: 'user'; content: string } | { role: 'assistant'; content: string };

/** A chat request: system instructions (sent apart, as AI SDK v7 requires) and the turns. */
export interface ChatPrompt {
  instructions: string;
  messages: ChatTurn[];
}

/** "a" or "an" before `noun`, by its first letter (good enough for class names). */
export function indefiniteArticle(noun: string): 'a' | 'an' {
  return /^[aeiou]/i.test(noun.trim()) ? 'an' : 'a';
}

function descriptorQuestion(label: string, context?: string): string {
  const subject = context === undefined ? label : `${label} (a kind of ${context})`;
  return `What are useful visual features for distinguishing ${indefiniteArticle(label)} ${subject} in a photo?`;
}

// The two worked examples of Menon & Vondrick's prompt, verbatim.
const DESCRIPTOR_EXAMPLES: Array<{ label: string; features: string[] }> = [
  {
    label: 'lemur',
    features: [
      'four-limbed primate',
      'black, grey, white, brown, or red-brown',
      'wet and hairless nose with curved nostrils',
      'long tail',
      'large eyes',
      'furry bodies',
      'clawed hands and feet',
    ],
  },
  {
    label: 'television',
    features: [
      'electronic device',
      'black or grey',
      'a large, rectangular screen',
      'a stand or mount to support the screen',
      'one or more speakers',
      'a power cord',
      'input ports for connecting to other devices',
      'a remote control',
    ],
  },
];

const DESCRIPTOR_SYSTEM =
  'You describe what things look like in photographs. Answer with a bulleted list only: one short ' +
  'visual feature per line, each starting with "- ", no introduction, no closing remarks.';

/** Chat messages asking for visual descriptors of `label`. */
export function descriptorPrompt(label: string, context?: string): ChatPrompt {
  const messages: ChatTurn[] = [];
  for (const example of DESCRIPTOR_EXAMPLES) {
    messages.push({ role: 'user', content: descriptorQuestion(example.label) });
    messages.push({
      role: 'assistant',
      content:
        `There are several useful visual features to tell there is ${indefiniteArticle(example.label)} ` +
        `${example.label} in a photo:\n${example.features.map((f) => `- ${f}`).join('\n')}`,
    });
  }
  messages.push({ role: 'user', content: descriptorQuestion(label, context) });
  return { instructions: DESCRIPTOR_SYSTEM, messages };
}

const PAIR_SYSTEM =
  'You are an expert at telling visually similar categories apart in photographs. Describe only what ' +
  'a camera can see.';

function pairTask(a: string, b: string, maxAttributes: number): string {
  return (
    `I need to tell photos of "${a}" apart from photos of "${b}". List up to ${maxAttributes} visual ` +
    'attributes that differ between them. For each attribute, write one sentence for each of the two ' +
    `classes describing that attribute as seen in a photo, in the style "a photo of ${indefiniteArticle(a)} ` +
    `${a}, which has ...".`
  );
}

/** Messages asking for pair descriptions as JSON (structured output). */
export function pairJsonPrompt(a: string, b: string, maxAttributes: number): ChatPrompt {
  const shape = JSON.stringify({
    attributes: [{ attr_type: 'attribute name', descriptions: { [a]: 'sentence', [b]: 'sentence' } }],
  });
  return {
    instructions: PAIR_SYSTEM,
    messages: [
      {
        role: 'user',
        content: `${pairTask(a, b, maxAttributes)}\nAnswer with JSON only, shaped exactly like ${shape}, using the two class names as the keys of "descriptions".`,
      },
    ],
  };
}

/** Messages asking for pair descriptions as plain text, for endpoints without JSON mode. */
export function pairTextPrompt(a: string, b: string, maxAttributes: number): ChatPrompt {
  return {
    instructions: PAIR_SYSTEM,
    messages: [
      {
        role: 'user',
        content:
          `${pairTask(a, b, maxAttributes)}\nAnswer in exactly this format, with no other text:\n` +
          `Attribute: <attribute name>\n${a}: <sentence>\n${b}: <sentence>\n\n` +
          'and a blank line between attributes.',
      },
    ],
  };
}

/** Subclasses asked per label by default: CHiLS's label-set size of their main GPT results. */
export const DEFAULT_SUBCLASS_COUNT = 10;

const SUBCLASS_SYSTEM =
  'You name kinds of things as they appear in photographs. Answer with the list only: no introduction, ' +
  'no numbering of your own, no closing remarks.';

/**
 * Chat messages asking for `count` kinds of `label`: CHiLS's prompt, "Generate a comma separated
 * list of {n} types of the following {context}:\n\n>{label}:", verbatim as the user turn. The
 * answer is parsed by `parseSubclassList`, which also takes the bulleted lists chat models prefer.
 */
export function subclassPrompt(label: string, context?: string, count = DEFAULT_SUBCLASS_COUNT): ChatPrompt {
  const kind = context === undefined ? '' : ` ${context}`;
  return {
    instructions: SUBCLASS_SYSTEM,
    messages: [
      {
        role: 'user',
        content: `Generate a comma separated list of ${count} types of the following${kind}:\n\n>${label}:`,
      },
    ],
  };
}
