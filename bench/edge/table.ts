/** A Markdown table with padded columns, as the repo's formatter (Biome) writes it. */
export function markdownTable(header: string[], align: ('left' | 'right')[], body: string[][]): string[] {
  const widths = header.map((_, c) => Math.max(3, ...[header, ...body].map((row) => row[c]!.length)));
  const cell = (text: string, c: number) =>
    align[c] === 'right' ? text.padStart(widths[c]!) : text.padEnd(widths[c]!);
  const line = (row: string[]) => `| ${row.map(cell).join(' | ')} |`;
  const rule = widths.map((w, c) => (align[c] === 'right' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w)));
  return [line(header), `| ${rule.join(' | ')} |`, ...body.map(line)];
}
