// The SDK's entry points typed from the package's .d.ts in a Node project that installed descry
// alone, with @types/node and nothing else (tsc, skipLibCheck off: the .d.ts files are checked too).
import {
  type ClassificationResult,
  DependencyMissingError,
  Descry,
  type DescryError,
  folderSource,
} from 'descry';
import {
  type LanguageModelLike,
  openAICompatibleSource,
  parseDescriptorList,
  staticSource,
} from 'descry/llm';
import emojiClip, { EMOJI_CLIP_ID, emojiClipPath } from 'descry/models/emoji-clip';
import { zeroShot } from 'descry/predictors';
import { startNodeServer } from 'descry/server';
import { FileStore, type KeyValueStore, KvStore, MemoryStore, R2Store } from 'descry/store';

const descry: Descry = await Descry.load(emojiClip);
const results: ClassificationResult[] = await descry.classify(new Uint8Array(), ['a', 'b']);
const stores: KeyValueStore[] = [new MemoryStore(), new FileStore('/tmp/descry-store')];
const id: string = EMOJI_CLIP_ID;
const folder = folderSource(emojiClipPath);
const error: DescryError | undefined = new DependencyMissingError('dependency_missing', 'ai');
const model: LanguageModelLike = 'openai/gpt-4o-mini';
const llm = openAICompatibleSource({ baseURL: 'http://127.0.0.1:11434/v1', model: 'llama3' });
const server: Promise<{ url: string; close(): Promise<void> }> = startNodeServer({ port: 0 });

export {
  error,
  folder,
  id,
  KvStore,
  llm,
  model,
  parseDescriptorList,
  R2Store,
  results,
  server,
  staticSource,
  stores,
  zeroShot,
};
