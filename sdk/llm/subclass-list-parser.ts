/**
 * Turns an LLM's answer to the subclass prompt (prompts.ts `subclassPrompt`, CHiLS's "Generate a
 * comma separated list of …") into subclass names. CHiLS's own parser splits on commas after
 * dropping every character but letters, commas and spaces; chat models answer with a comma list,
 * a bulleted list, or one name per line, and names may hold digits or hyphens ("7-eleven",
 * "t-shirt"), so only list markers, chatter and trailing punctuation are dropped here
 * (descriptor-list-parser.ts), and a single item that is a comma list is split.
 */
import { parseDescriptorList } from './descriptor-list-parser.js';

/** Options of {@link parseSubclassList}. */
export interface SubclassListOptions {
  /** Keep at most this many names (the first ones). Default: all. */
  maxItems?: number;
}

/**
 * Subclass names from `text`: list items, or the comma-separated items of a one-line answer,
 * stripped of markers, quotes, a trailing "and", and duplicates (case-insensitive), in order.
 * Returns `[]` when nothing usable is found.
 */
export function parseSubclassList(text: string, options: SubclassListOptions = {}): string[] {
  // A model may echo the prompt's last line (">cat: tabby, siamese"): drop that prefix.
  const answer = text.replace(/^[ \t]*>[^:\n]*:[ \t]*/gm, '');
  const items = parseDescriptorList(answer).flatMap((item) =>
    item.includes(',') ? item.split(',') : [item],
  );
  const seen = new Set<string>();
  const names: string[] = [];
  for (const raw of items) {
    const name = raw
      .trim()
      .replace(/^(and|or)\s+/i, '')
      .replace(/^["'“‘]+|["'”’.;:]+$/g, '')
      .trim();
    const identity = name.toLowerCase();
    if (name === '' || seen.has(identity)) continue;
    seen.add(identity);
    names.push(name);
    if (options.maxItems !== undefined && names.length >= options.maxItems) break;
  }
  return names;
}
