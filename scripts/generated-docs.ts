/**
 * Documentation generated from the one place each concept is defined: the configuration table
 * from the service's variables (worker/service/config.ts) and the list of methods from the SDK's
 * method table (sdk/methods/table.ts), the runtime table from the runtimes tests/package runs the
 * packed tarball in (tests/package/support/runtimes.ts). In Markdown files they sit between
 * `<!-- generated: NAME -->` and `<!-- /generated -->`; `npm run readme:sync` rewrites them and
 * tests/package/generated-docs.node.test.ts fails while one is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { METHOD_NAMES, METHODS, varList } from '../sdk/index.js';
import { runtimeTable } from '../tests/package/support/runtimes.js';
import { SERVICE_VARS } from '../worker/service/config.js';
import { documentFiles } from './doc-blocks.mjs';

const HOSTS = { all: 'both', workers: 'Workers', node: 'Node' } as const;

/** The generators, by region name. */
export const GENERATED: Record<string, () => string> = {
  config: () =>
    [
      '| variable | default | host | meaning |',
      '| --- | --- | --- | --- |',
      ...varList(SERVICE_VARS).map((spec) => {
        const names = [
          `\`${spec.name}\`${spec.secret ? ' (secret)' : ''}`,
          ...spec.aliases.map((alias) => `<br>(old name \`${alias}\`)`),
        ].join('');
        return `| ${names} | ${spec.defaultText} | ${HOSTS[spec.hosts]} | ${spec.doc.replaceAll('|', '\\|')} |`;
      }),
    ].join('\n'),
  methods: () =>
    [
      '| method | what it does | paper | needs | falls back to |',
      '| --- | --- | --- | --- | --- |',
      ...METHOD_NAMES.map((name) => {
        const spec = METHODS[name];
        const fallback = 'fallback' in spec ? `\`${spec.fallback}\`` : '—';
        const needs = spec.needs.length ? spec.needs.map((need) => `\`${need}\``).join(', ') : '—';
        return `| \`${name}\` | ${spec.summary} | ${spec.paper} | ${needs} | ${fallback} |`;
      }),
    ].join('\n'),
  runtimes: runtimeTable,
};

const REGION = /(<!-- generated: (\w[\w-]*) -->\n)([\s\S]*?)(<!-- \/generated -->)/g;

/** The Markdown files that may hold generated regions. */
export function documentationFiles(root: string): string[] {
  return [...documentFiles(root), join(root, 'worker', 'README.md')];
}

/** Every region of `markdown`: its name, what it holds, and what it should hold. */
export function generatedRegions(
  markdown: string,
): Array<{ name: string; actual: string; expected: string }> {
  return [...markdown.matchAll(REGION)].map(([, , name = '', actual = '']) => {
    const generate = GENERATED[name];
    if (!generate) throw new Error(`no generator for region "${name}"`);
    return { name, actual: actual.trimEnd(), expected: generate() };
  });
}

/** `markdown` with every region rewritten. */
export function withGeneratedRegions(markdown: string): string {
  return markdown.replace(REGION, (_, open: string, name: string, _old: string, close: string) => {
    const generate = GENERATED[name];
    if (!generate) throw new Error(`no generator for region "${name}"`);
    return `${open}${generate()}\n${close}`;
  });
}

/** Rewrite every region of every documentation file; returns the files changed. */
export function syncGeneratedRegions(root: string): string[] {
  const changed: string[] = [];
  for (const file of documentationFiles(root)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const next = withGeneratedRegions(text);
    if (next !== text) {
      writeFileSync(file, next);
      changed.push(file);
    }
  }
  return changed;
}
