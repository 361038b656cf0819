/**
 * `--subclasses` of `descry classify` and `descry compile` (method 'subclasses', CHiLS): a JSON file
 * `{ "label": ["subclass", …] }` (what `descry describe --generate subclasses` or the service's
 * describe route write), or the embedded model's own hierarchy, `emoji:subcategories` (98 emoji
 * subcategories → their emoji names) or `emoji:groups` (9 groups → their subcategories), taken for
 * the labels that have an entry there. Labels without subclasses are scored by their own prompts,
 * as in the SDK; a source that gives none of the labels any is refused, since the method would
 * then answer zero-shot.
 */
import { readFile } from 'node:fs/promises';
import type { SubclassMap } from '../predictors/subclasses.js';
import { CliError } from './cli-error.js';

/**
 * The hierarchy `emojiSubclasses` offers, read from the model folder as the CLI finds its default
 * model (two levels up from both sdk/cli/ and dist/cli/). Not imported from the model's entry: a
 * module the CLI shares with it would move into a chunk at dist/'s top, where the entry's relative
 * JSON import no longer reaches the file.
 */
const HIERARCHY = new URL('../../models/emoji-clip/subclasses.json', import.meta.url);
const BUILT_IN: Record<string, 'subcategories' | 'groups'> = {
  'emoji:subcategories': 'subcategories',
  'emoji:groups': 'groups',
};

/** What `--subclasses` accepts, for `--help`. */
export const SUBCLASSES_HELP =
  'subclasses per label for --method subclasses: a JSON file {"label": ["subclass", …]}, or the embedded ' +
  "model's hierarchy: emoji:subcategories (emoji names under their subcategory) or emoji:groups (subcategories " +
  'under their group)';

/** The subclasses `source` gives `labels` (undefined labels: a compiled classifier's are unknown yet). */
export async function readSubclasses(
  source: string,
  labels: readonly string[] | undefined,
): Promise<SubclassMap> {
  const section = Object.hasOwn(BUILT_IN, source) ? BUILT_IN[source] : undefined;
  const builtIn = section !== undefined;
  let map: unknown;
  if (section) {
    const hierarchy = JSON.parse(await readFile(HIERARCHY, 'utf8')) as Record<string, SubclassMap>;
    map = hierarchy[section];
  } else if (source.startsWith('emoji:')) {
    throw new CliError(
      `--subclasses ${source}: the built-in sources are ${Object.keys(BUILT_IN).join(', ')}`,
    );
  } else {
    try {
      map = JSON.parse(await readFile(source, 'utf8'));
    } catch (error) {
      throw new CliError(`--subclasses ${source}: ${(error as Error).message}`);
    }
  }
  const valid =
    typeof map === 'object' &&
    map !== null &&
    !Array.isArray(map) &&
    Object.values(map).every((list) => Array.isArray(list) && list.every((s) => typeof s === 'string'));
  if (!valid) throw new CliError(`--subclasses ${source}: not a JSON object of label → list of subclasses`);
  const all = map as SubclassMap;
  if (!labels) return all;
  // Only the labels asked for: a built-in map holds many more, and the SDK refuses others.
  const given = Object.fromEntries(
    labels.filter((label) => Object.hasOwn(all, label)).map((l) => [l, all[l]!]),
  );
  if (Object.keys(given).length === 0) {
    throw new CliError(
      `--subclasses ${source} has none of these labels${builtIn ? ` (its labels are like "${Object.keys(all)[0]}")` : ''}`,
    );
  }
  return given;
}
