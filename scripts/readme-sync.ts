/**
 * `npm run readme:sync`: rewrites README.md's checked blocks from their sources: each
 * `<!-- snippet: … -->` block from its file (or region), each `<!-- output of: … -->` block from
 * what its command prints now (e.g. after the embedded model was retrained), and every
 * `<!-- generated: … -->` region of the docs (scripts/generated-docs.ts). Edit the example or the
 * definition, not the README; tests/package fails while they disagree.
 */
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { documentFiles } from './doc-blocks.mjs';
import { syncGeneratedRegions } from './generated-docs.js';
import { readmeBlocks, snippetText } from './readme-blocks.js';

const root = new URL('..', import.meta.url).pathname;
for (const path of documentFiles(root)) await syncBlocks(path);

/** Rewrite the checked blocks of one document. */
async function syncBlocks(path: string): Promise<void> {
  const name = path.slice(root.length);
  const lines = (await readFile(path, 'utf8')).split('\n');
  // From the last block up, so earlier line numbers stay valid while later blocks change length.
  for (const block of readmeBlocks(lines.join('\n')).reverse()) {
    const { marker } = block;
    let text: string;
    if (marker?.kind === 'snippet') {
      text = snippetText(await readFile(`${root}${marker.file}`, 'utf8'), marker.region);
    } else if (marker?.kind === 'output') {
      // What the command prints, whatever its exit code (the CLI exits 2 when some images failed).
      text = spawnSync(marker.command, { cwd: root, encoding: 'utf8', shell: true }).stdout.trimEnd();
    } else {
      continue;
    }
    const [first, last] = block.span;
    lines.splice(first, last - first + 1, ...text.split('\n'));
    console.log(`${name}:${block.line} ${marker.kind === 'snippet' ? marker.file : marker.command}`);
  }
  await writeFile(path, lines.join('\n'));
}
// The configuration table and the method list, from where they are defined.
for (const file of syncGeneratedRegions(root)) console.log(`${file}: generated regions`);
