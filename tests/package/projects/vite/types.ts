// The browser's entry points typed from the package's .d.ts with the DOM library only (no
// @types/node), as a bundler resolves them (tsc, skipLibCheck off).
import { Descry, type DescryError, urlSource } from 'descry';
import { parseDescriptorList, staticSource } from 'descry/llm';
import emojiClip from 'descry/models/emoji-clip';
import { zeroShot } from 'descry/predictors';
import { type KeyValueStore, MemoryStore } from 'descry/store';

const descry: Descry = await Descry.load(emojiClip);
const input = document.querySelector('input')?.files?.[0];
const results = input ? await descry.classify(input, ['cat', 'dog']) : [];
const stores: KeyValueStore[] = [new MemoryStore()];
const remote = urlSource('https://example.com/model/');
const error: DescryError | undefined = undefined;

export { error, parseDescriptorList, remote, results, staticSource, stores, zeroShot };
