/**
 * A text encoder whose graph declares a fixed sequence length (MobileCLIP's is exported for exactly
 * 77 tokens, without an attention mask) gets every batch padded to that length. The backend is the
 * real onnxruntime-node one on the embedded model, wrapped to declare `[batch, 32]` and to record
 * the shapes it is fed.
 */
import { Descry } from 'descry';
import emojiClip from 'descry/models/emoji-clip';
import { describe, expect, it } from 'vitest';
import { observedNodeBackend } from '../support/observed-backend.js';

/** The native backend declaring `[batch, length]` for input_ids and recording the shapes fed. */
function fixedLengthBackend(length: number, fed: number[][]) {
  return observedNodeBackend({
    inputShapes: (session) =>
      session.inputNames.includes('input_ids')
        ? { ...session.inputShapes, input_ids: ['batch_size', length] }
        : session.inputShapes,
    onRun(feeds) {
      if (feeds.input_ids) fed.push([...feeds.input_ids.dims]);
      return undefined;
    },
  });
}

describe('a text graph with a fixed sequence length', () => {
  it('is fed batches of exactly that length, with the embeddings of unpadded batches', async () => {
    const texts = ['cat', 'a red apple on a table', 'sun'];
    const fed: number[][] = [];
    const fixed = await Descry.load(emojiClip, { backend: await fixedLengthBackend(32, fed) });
    const padded = await fixed.embedTexts(texts);
    expect(fed).toEqual([[3, 32]]);
    const plain = await (await Descry.load(emojiClip)).embedTexts(texts);
    padded.data.forEach((v, i) => {
      expect(v).toBeCloseTo(plain.data[i]!, 5);
    });
  });
});
