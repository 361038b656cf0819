// Every public entry point for Node, typed from the package's own .d.ts files (tsc --noEmit,
// Node16, skipLibCheck off), in a project with the server's and the command's optional peers.
import { type ClassificationResult, Descry, type DescryError, folderSource } from 'descry';
import { createApp, portableDeps } from 'descry/app';
import { parseDescriptorList, staticSource } from 'descry/llm';
import emojiClip, { EMOJI_CLIP_ID, emojiClipPath } from 'descry/models/emoji-clip';
import { zeroShot } from 'descry/predictors';
import { startNodeServer } from 'descry/server';
import { FileStore, type KeyValueStore, MemoryStore } from 'descry/store';

const descry: Descry = await Descry.load(emojiClip);
const results: ClassificationResult[] = await descry.classify(new Uint8Array(), ['a', 'b']);
const stores: KeyValueStore[] = [new MemoryStore(), new FileStore('/tmp/descry-store')];
const id: string = EMOJI_CLIP_ID;
const path: string = emojiClipPath;
const folder = folderSource(path);
const error: DescryError | undefined = undefined;
const server: Promise<{ url: string; close(): Promise<void> }> = startNodeServer({ port: 0 });
const app = createApp(portableDeps({ embeddedModel: emojiClip, vars: process.env }));
const response: Response | Promise<Response> = app.fetch(new Request('http://localhost/healthz'));

export { error, folder, id, parseDescriptorList, response, results, server, staticSource, stores, zeroShot };
