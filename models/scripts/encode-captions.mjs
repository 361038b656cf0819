// Encodes the caption corpus with the shipped tokenizer (@huggingface/tokenizers), checks that
// @xenova/transformers' AutoTokenizer gives identical ids, and writes models/.data/captions.json for training.
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { AutoTokenizer, env } from '@xenova/transformers';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const dir = path.join(ROOT, 'models', 'emoji-clip');
const texts = JSON.parse(fs.readFileSync(path.join(ROOT, 'models/.data/corpus.json'), 'utf8'));
const tj = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
const tc = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
const tok = new Tokenizer(tj, tc);
env.allowRemoteModels = false;
env.localModelPath = `${path.join(ROOT, 'models')}/`;
const xtok = await AutoTokenizer.from_pretrained('emoji-clip');
const L = tc.model_max_length;
const ids = [];
let mismatches = 0,
  truncated = 0;
for (let i = 0; i < texts.length; i++) {
  const a = tok.encode(texts[i]).ids;
  if (i % 10 === 0 || i < 2000) {
    const b = Array.from(xtok(texts[i]).input_ids.data, Number);
    if (a.length !== b.length || a.some((v, k) => v !== b[k])) {
      if (mismatches < 5) console.error('mismatch', JSON.stringify(texts[i]), a, b);
      mismatches++;
    }
  }
  if (a.length > L) {
    truncated++;
    a.length = L;
    a[L - 1] = tj.model.vocab['<|endoftext|>'];
  }
  ids.push(a);
}
fs.writeFileSync(path.join(ROOT, 'models/.data/captions.json'), JSON.stringify({ texts, ids }));
console.log(
  `encoded ${texts.length} captions; truncated ${truncated}; @xenova/transformers mismatches ${mismatches}`,
);
console.log('example', JSON.stringify(texts[0]), tok.encode('an emoji of grinning face').ids);
if (mismatches) process.exit(1);
