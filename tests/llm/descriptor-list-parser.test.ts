import { parseDescriptorList } from 'descry/llm';
import { describe, expect, it } from 'vitest';

describe('parseDescriptorList', () => {
  it('reads a Menon & Vondrick style dash list after its introduction line', () => {
    const answer = `There are several useful visual features to tell there is a lemur in a photo:
- four-limbed primate
- black, grey, white, brown, or red-brown
- long tail
- large eyes`;
    expect(parseDescriptorList(answer)).toEqual([
      'four-limbed primate',
      'black, grey, white, brown, or red-brown',
      'long tail',
      'large eyes',
    ]);
  });

  it('drops chat openers and closers around a numbered list and strips trailing periods', () => {
    const answer = `Sure! Here are some useful visual features for distinguishing a pug in a photo:

1. Small, compact body.
2. Wrinkled, short-muzzled face.
3. Curled tail.

I hope this helps! Let me know if you need anything else.`;
    expect(parseDescriptorList(answer)).toEqual([
      'Small, compact body',
      'Wrinkled, short-muzzled face',
      'Curled tail',
    ]);
  });

  it('accepts "1)" numbering, star and bullet glyphs', () => {
    expect(parseDescriptorList('1) red breast\n2) grey back')).toEqual(['red breast', 'grey back']);
    expect(parseDescriptorList('* red breast\n* grey back')).toEqual(['red breast', 'grey back']);
    expect(parseDescriptorList('• red breast\n• grey back')).toEqual(['red breast', 'grey back']);
  });

  it('turns bold headings into "heading: value" and drops group titles', () => {
    const answer = `Here are the key visual features of a tennis ball:

**Physical features:**
- **Shape:** round
- **Color:** bright yellow-green
- **Surface:** fuzzy felt with a white curved seam

### Context
- **Setting**: often on a tennis court`;
    expect(parseDescriptorList(answer)).toEqual([
      'shape: round',
      'color: bright yellow-green',
      'surface: fuzzy felt with a white curved seam',
      'setting: often on a tennis court',
    ]);
  });

  it('keeps nested bullets and drops the parent that only introduces them', () => {
    const answer = `- Coloration:
  - black and white patches
  - pink nose
- large body
    * four legs with hooves`;
    expect(parseDescriptorList(answer)).toEqual([
      'black and white patches',
      'pink nose',
      'large body',
      'four legs with hooves',
    ]);
  });

  it('ignores code fences, blank lines and duplicates (case-insensitive)', () => {
    const answer = '```\n- long neck\n\n- Long neck\n- spotted coat.\n```';
    expect(parseDescriptorList(answer)).toEqual(['long neck', 'spotted coat']);
  });

  it('takes plain lines when the model used no markers, still skipping chatter', () => {
    const answer =
      'Certainly! Visual features of a fire truck:\nred paint\nlong ladder on top\nflashing lights';
    expect(parseDescriptorList(answer)).toEqual(['red paint', 'long ladder on top', 'flashing lights']);
  });

  it('honours maxItems and returns [] for an answer without items', () => {
    expect(parseDescriptorList('- a\n- b\n- c', { maxItems: 2 })).toEqual(['a', 'b']);
    expect(parseDescriptorList("I'm sorry, I can't help with that!")).toEqual([]);
    expect(parseDescriptorList('')).toEqual([]);
  });
});
