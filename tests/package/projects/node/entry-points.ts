// Every public entry point, typed from the package's own .d.ts files (tsc --noEmit, Node16).
import { type ClassificationResult, Descry, type DescryError, folderSource } from 'descry';
import { parseDescriptorList, staticSource } from 'descry/llm';
import emojiClip, { EMOJI_CLIP_ID, emojiClipPath } from 'descry/models/emoji-clip';
import { zeroShot } from 'descry/predictors';
import { startNodeServer } from 'descry/server';
import { FileStore, type KeyValueStore, MemoryStore } from 'descry/store';
import { createApp, createWorker } from 'descry/worker';

const descry: Descry = await Descry.load(emojiClip);
const results: ClassificationResult[] = await descry.classify(new Uint8Array(), ['a', 'b']);
const stores: KeyValueStore[] = [new MemoryStore(), new FileStore('/tmp/descry-store')];
const id: string = EMOJI_CLIP_ID;
const path: string = emojiClipPath;
const folder = folderSource(path);
const error: DescryError | undefined = undefined;
const server: Promise<{ url: string; close(): Promise<void> }> = startNodeServer({ port: 0 });

export {
  createApp,
  createWorker,
  error,
  folder,
  id,
  parseDescriptorList,
  results,
  server,
  staticSource,
  stores,
  zeroShot,
};
