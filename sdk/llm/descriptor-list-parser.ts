/**
 * Turns an LLM's free-text answer into a clean list of descriptors. Models answer in many list
 * styles (`-`, `*`, `•`, `1.`, `1)`, `a)`, bold "**Shape:** round" headings, nested bullets) and
 * wrap them in chatter ("Sure! Here are...", "I hope this helps"); only the items survive.
 */

// A list marker at the start of a line: dash/star/bullet glyphs, "1." / "1)" / "(1)", "a)" and "a.".
const BULLET = /^(?:[-*+•‣◦▪▫●○■□–—]|\(?\d{1,3}[.):]|\(?[a-z][.)])\s+/i;
const FENCE = /^\s*(```|~~~)/;
// Openers and closers models add around lists; matched on lines that are not list items.
const CHATTER =
  /^(sure|certainly|of course|absolutely|okay|ok|here (are|is)|below (are|is)|i hope|hope this|let me know|feel free|note:|these (features|are)|there are (several|many|some)|in summary|overall|q:|a:)/i;

/** Options of {@link parseDescriptorList}. */
export interface DescriptorListOptions {
  /** Keep at most this many items (the first ones). Default: all. */
  maxItems?: number;
}

function stripMarkdown(text: string): string {
  return text
    .replace(/\*\*|__|`/g, '')
    .replace(/(^|\s)[*_](\S(?:.*?\S)?)[*_](?=\s|$|[,.;:!?])/g, '$1$2')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
}

function cleanItem(raw: string): string {
  let item = stripMarkdown(raw).replace(/\s+/g, ' ').trim();
  item = item.replace(/^["'“‘]+|["'”’]+$/g, '').trim();
  item = item.replace(/[.;,]+$/, '').trim();
  return item;
}

/** "**Shape:** round" and "Shape: round" become "shape: round"; a heading alone returns null. */
function splitHeading(line: string): { heading: string; rest: string } | null {
  const bold = /^\*\*([^*]+?):?\*\*:?\s*(.*)$/.exec(line) ?? /^__([^_]+?):?__:?\s*(.*)$/.exec(line);
  if (bold) return { heading: bold[1]!.trim(), rest: bold[2]!.trim() };
  return null;
}

/** Classifies one trimmed line as a list item, a heading, or something to drop. */
function readLine(line: string): { kind: 'item' | 'heading' | 'text'; text: string } {
  const bullet = BULLET.exec(line);
  const body = bullet ? line.slice(bullet[0].length).trim() : line;
  if (/^#{1,6}\s/.test(body)) return { kind: 'heading', text: body };
  const heading = splitHeading(body);
  if (heading) {
    if (heading.rest === '') return { kind: 'heading', text: heading.heading };
    return { kind: bullet ? 'item' : 'text', text: `${heading.heading.toLowerCase()}: ${heading.rest}` };
  }
  // A bullet that only introduces nested bullets ("- Coloration:") is a heading, not an item.
  if (body.endsWith(':')) return { kind: 'heading', text: body };
  return { kind: bullet ? 'item' : 'text', text: body };
}

/**
 * Extracts descriptors from `text`: list items with their markers, markdown, wrapping quotes and
 * trailing periods stripped, duplicates (case-insensitive) removed, order kept. When the answer
 * has no list markers at all, each non-chatter line is taken as an item (some models answer one
 * feature per line). Returns `[]` when nothing usable is found.
 */
export function parseDescriptorList(text: string, options: DescriptorListOptions = {}): string[] {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  const read = lines
    .filter((line) => line !== '' && !FENCE.test(line))
    .map((line) => ({ line, ...readLine(line) }));
  const hasItems = read.some((entry) => entry.kind === 'item');
  const candidates = read.filter((entry) =>
    hasItems
      ? entry.kind === 'item'
      : entry.kind === 'text' && !CHATTER.test(entry.line) && !/[!?]$/.test(entry.line),
  );
  const seen = new Set<string>();
  const items: string[] = [];
  for (const candidate of candidates) {
    const item = cleanItem(candidate.text);
    const identity = item.toLowerCase();
    if (item === '' || seen.has(identity)) continue;
    seen.add(identity);
    items.push(item);
    if (options.maxItems !== undefined && items.length >= options.maxItems) break;
  }
  return items;
}
