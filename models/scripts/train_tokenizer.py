"""Trains a byte-level BPE with CLIP's conventions and writes HF tokenizer files (tokenizer.json etc.)."""
import collections, json, os, sys
sys.path.insert(0, os.path.dirname(__file__))
import random
from captions import load_classes, corpus, Captions, DATA, MODEL
from bpe import B2U, Encoder, tokenizer_json, words

VOCAB_SIZE = int(os.environ.get('VOCAB_SIZE', 4096))
CONTEXT = 32
OUT = MODEL
BOS, EOS = '<|startoftext|>', '<|endoftext|>'

def train(texts):
    freq = collections.Counter()
    for t in texts:
        freq.update(words(t))
    # each word: tuple of symbols, the last one carrying </w>
    seqs = {w: tuple(list(w[:-1]) + [w[-1] + '</w>']) for w in freq}
    base = list(B2U.values())  # CLIP order: bytes_to_unicode values
    vocab = base + [c + '</w>' for c in base]
    merges = []
    n_merges = VOCAB_SIZE - len(vocab) - 2
    for _ in range(n_merges):
        pairs = collections.Counter()
        for w, s in seqs.items():
            f = freq[w]
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] += f
        if not pairs:
            break
        (a, b), cnt = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        if cnt < 2:
            break
        merges.append((a, b))
        vocab.append(a + b)
        ab = a + b
        for w, s in seqs.items():
            if len(s) < 2:
                continue
            out, i = [], 0
            changed = False
            while i < len(s):
                if i < len(s) - 1 and s[i] == a and s[i + 1] == b:
                    out.append(ab); i += 2; changed = True
                else:
                    out.append(s[i]); i += 1
            if changed:
                seqs[w] = tuple(out)
    return vocab, merges


def main():
    classes = load_classes()
    texts = corpus(classes)
    vocab, merges = train(texts)
    vocab = vocab + [BOS, EOS]
    v2i = {t: i for i, t in enumerate(vocab)}
    assert len(v2i) == len(vocab), 'duplicate vocab entries'
    bos_id, eos_id = v2i[BOS], v2i[EOS]
    special = dict(single_word=False, lstrip=False, rstrip=False, normalized=True, special=True)
    tok = tokenizer_json(v2i, merges)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'tokenizer.json'), 'w') as f:
        json.dump(tok, f, ensure_ascii=False, indent=None, separators=(',', ':'))
    cfg = {
        'add_prefix_space': False,
        'added_tokens_decoder': {str(bos_id): {k: v for k, v in dict(content=BOS, **special).items()},
                                 str(eos_id): {k: v for k, v in dict(content=EOS, **special).items()}},
        'bos_token': BOS, 'eos_token': EOS, 'pad_token': EOS, 'unk_token': EOS,
        'clean_up_tokenization_spaces': True,
        'do_lower_case': True,
        'errors': 'replace',
        'model_max_length': CONTEXT,
        'tokenizer_class': 'CLIPTokenizer',
    }
    with open(os.path.join(OUT, 'tokenizer_config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(OUT, 'special_tokens_map.json'), 'w') as f:
        json.dump({'bos_token': {'content': BOS, 'lstrip': False, 'normalized': True, 'rstrip': False, 'single_word': False},
                   'eos_token': {'content': EOS, 'lstrip': False, 'normalized': True, 'rstrip': False, 'single_word': False},
                   'pad_token': EOS,
                   'unk_token': {'content': EOS, 'lstrip': False, 'normalized': True, 'rstrip': False, 'single_word': False}}, f, indent=2)
    print(f'vocab={len(vocab)} merges={len(merges)} bos={bos_id} eos={eos_id} corpus={len(texts)}')
    # training encodes captions with bpe.Encoder: check-tokenizer.mjs compares its ids on a sample with the JS tokenizers
    enc = Encoder(os.path.join(OUT, 'tokenizer.json'))
    rng = random.Random(2)
    cap = Captions(classes, rng)
    sample = rng.sample(texts, 3000) + [cap.sample(rng.randrange(len(classes)))[0] for _ in range(3000)]
    sample += ['An   Emoji of GRINNING face', 'flag: japan, which has “quotes”', 'keycap: *', 'piñata, ½ café']
    with open(os.path.join(DATA, 'tokenizer-check.json'), 'w') as f:
        json.dump({'texts': sample, 'ids': [enc.encode(t) for t in sample]}, f)


if __name__ == '__main__':
    main()
