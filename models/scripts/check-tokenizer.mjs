// Checks that the training script's Python BPE encoder (models/scripts/bpe.py) gives the same ids as the shipped
// tokenizer in @huggingface/tokenizers (what Descry uses) and in @xenova/transformers' AutoTokenizer, on the sample
// of captions train_tokenizer.py wrote to models/.data/tokenizer-check.json. Exits 1 on any mismatch.
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { AutoTokenizer, env } from '@xenova/transformers';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const dir = path.resolve(process.env.MODEL_DIR ?? path.join(ROOT, 'models', 'emoji-clip'));
const { texts, ids } = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'models/.data/tokenizer-check.json'), 'utf8'),
);
const tok = new Tokenizer(
  JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')),
  JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')),
);
env.allowRemoteModels = false;
env.localModelPath = `${path.dirname(dir)}/`;
const xtok = await AutoTokenizer.from_pretrained(path.basename(dir));
const same = (a, b) => a.length === b.length && a.every((v, k) => v === b[k]);
let mismatches = 0;
for (const [i, text] of texts.entries()) {
  const a = tok.encode(text).ids;
  const b = Array.from(xtok(text).input_ids.data, Number);
  if (!same(a, ids[i]) || !same(b, ids[i])) {
    if (mismatches < 5) console.error('mismatch', JSON.stringify(text), { python: ids[i], hf: a, xenova: b });
    mismatches++;
  }
}
console.log(
  `tokenizer check: ${texts.length} captions, ${mismatches} mismatches between bpe.py, @huggingface/tokenizers and @xenova/transformers`,
);
if (mismatches) process.exit(1);
