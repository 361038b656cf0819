/**
 * The README's fenced code blocks and the marker comment above each, which says how a test checks
 * it (tests/package/readme.node.test.ts):
 *
 * - `<!-- snippet: examples/classify.ts#quick-start -->`: the block is that file, or the lines
 *   between `// #region quick-start` and `// #endregion` in it; the file is typechecked and run.
 * - `<!-- output of: npx tsx examples/methods.ts -->`: the block is what the command prints
 *   (`npm run readme:sync` rewrites them, and the snippets, from their sources).
 * - `<!-- output shape of: npx tsx examples/operations.ts -->`: the same, except that numbers may
 *   differ (durations, counts): the words between them must not.
 * - `<!-- commands -->`: shell commands; the scripts, files and commands they name must exist,
 *   and `curl` lines are sent to a running service.
 */

/** How a block is checked. */
export type Marker =
  | { kind: 'snippet'; file: string; region: string | undefined }
  | { kind: 'output'; command: string; anyNumbers?: boolean }
  | { kind: 'commands' };

/** One fenced block. */
export interface ReadmeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  /** The lines between the fences, joined with newlines. */
  content: string;
  /** Undefined when the block has no marker (which the test reports). */
  marker: Marker | undefined;
  /** Line indexes (0-based) of the first and last content line, for rewriting. */
  span: [number, number];
}

function parseMarker(line: string): Marker | undefined {
  const match = line.trim().match(/^<!--\s*(snippet|output shape of|output of|commands)\s*:?\s*(.*?)\s*-->$/);
  if (!match) return undefined;
  const [, kind, argument = ''] = match;
  if (kind === 'commands') return { kind: 'commands' };
  if (kind === 'output of') return { kind: 'output', command: argument };
  if (kind === 'output shape of') return { kind: 'output', command: argument, anyNumbers: true };
  const [file = '', region] = argument.split('#');
  return { kind: 'snippet', file, region };
}

/** Every fenced block of `markdown`, with its marker. */
export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i]!.match(/^```(\S*)\s*$/);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    let above = i - 1;
    while (above >= 0 && lines[above]!.trim() === '') above--;
    blocks.push({
      line: i + 1,
      lang: open[1] ?? '',
      content: lines.slice(i + 1, end).join('\n'),
      marker: above >= 0 ? parseMarker(lines[above]!) : undefined,
      span: [i + 1, end - 1],
    });
    i = end;
  }
  return blocks;
}

/** The text a snippet marker names: the whole file, or one `#region` of it (without the markers). */
export function snippetText(source: string, region: string | undefined): string {
  if (region === undefined) return source.trimEnd();
  const lines = source.split('\n');
  const start = lines.findIndex((l) => l.trim() === `// #region ${region}`);
  if (start < 0) throw new Error(`no "// #region ${region}"`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === '// #endregion');
  if (end < 0) throw new Error(`"// #region ${region}" has no "// #endregion"`);
  return lines
    .slice(start + 1, end)
    .join('\n')
    .trimEnd();
}

/** The commands of a `commands` block: continuation lines joined, comments dropped, `&&` split. */
export function shellCommands(content: string): string[] {
  return content
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .flatMap((line) => line.split('&&').map((command) => command.trim()));
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/g;

/**
 * Output printed by a command, compared with the block that shows it: the same text, with every
 * number equal within `tolerance` (relative, or absolute below 1). Float32 results differ in their
 * last digits between CPUs (onnxruntime picks AVX2 or AVX-512 kernels at run time), so an exact
 * comparison would fail on a machine other than the one that wrote the README; any real change,
 * such as another label, another order or another model, still fails.
 */
export function sameOutput(actual: string, expected: string, tolerance = 1e-5): boolean {
  const split = (text: string) => ({
    words: text.split(NUMBER),
    numbers: (text.match(NUMBER) ?? []).map(Number),
  });
  const a = split(actual);
  const b = split(expected);
  if (a.words.length !== b.words.length || a.words.some((word, i) => word !== b.words[i])) return false;
  return a.numbers.every((x, i) => {
    const y = b.numbers[i]!;
    return Math.abs(x - y) <= tolerance * Math.max(1, Math.abs(x), Math.abs(y));
  });
}
