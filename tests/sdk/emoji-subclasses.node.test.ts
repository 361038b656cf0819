/**
 * The embedded model's label hierarchy (models/emoji-clip/subclasses.json, offered as
 * `emojiSubclasses` by descry/models/emoji-clip) is what models/scripts/build-subclasses.mjs
 * derives from tests/fixtures/emoji-classes.json, and every map is one compiling accepts.
 */
import { readFile } from 'node:fs/promises';
import { emojiSubclasses } from 'descry/models/emoji-clip';
import { subclassLists } from 'descry/predictors';
import { describe, expect, it } from 'vitest';

const classes = JSON.parse(await readFile('tests/fixtures/emoji-classes.json', 'utf8')) as Array<{
  name: string;
  subcategory: string;
  category: string;
}>;

describe('emojiSubclasses', () => {
  it('maps every subcategory to its emoji and every group to its subcategories, each once', () => {
    for (const c of classes) {
      expect(emojiSubclasses.subcategories[c.subcategory]).toContain(c.name);
      expect(emojiSubclasses.groups[c.category]).toContain(c.subcategory);
    }
    const names = Object.values(emojiSubclasses.subcategories).flat();
    expect(names.sort()).toEqual(classes.map((c) => c.name).sort());
    expect(Object.values(emojiSubclasses.groups).flat().sort()).toEqual(
      Object.keys(emojiSubclasses.subcategories).sort(),
    );
  });

  it('is a valid subclass map for its own labels', () => {
    for (const map of [emojiSubclasses.subcategories, emojiSubclasses.groups]) {
      expect(() => subclassLists(Object.keys(map), map)).not.toThrow();
    }
  });
});
