/**
 * The documentation's marked blocks: `<!-- NAME:start -->` … `<!-- NAME:end -->` in README.md or a
 * page under docs/, rewritten by the command that measures what they show (`--readme` / `--docs`
 * of the benches). One writer, wherever the block lives, so a page can move without its bench.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** README.md and every docs/*.md of the repository at `root`. */
export function documentFiles(root) {
  const docs = join(root, 'docs');
  const pages = existsSync(docs)
    ? readdirSync(docs)
        .filter((name) => name.endsWith('.md'))
        .sort()
        .map((name) => join(docs, name))
    : [];
  return [join(root, 'README.md'), ...pages];
}

/** Replace the block `name` with `content`; returns the file it was in. Throws when no file has it. */
export function writeMarkedBlock(root, name, content) {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  for (const file of documentFiles(root)) {
    const text = readFileSync(file, 'utf8');
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (from < 0 || to < 0) continue;
    writeFileSync(file, `${text.slice(0, from + start.length)}\n${content.trimEnd()}\n${text.slice(to)}`);
    return file;
  }
  throw new Error(`no document has a ${start} … ${end} block`);
}
