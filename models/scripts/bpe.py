"""Byte-level BPE with CLIP's conventions: the pre-tokenizer shared by the tokenizer trainer and a Python encoder for
training (checked against @huggingface/tokenizers and transformers.js by check-tokenizer.mjs)."""
import json, re, unicodedata

EOS_TEXT = '<|endoftext|>'
BOS_TEXT = '<|startoftext|>'

# CLIP's pre-tokenizer regex, written for Python's re (\p{L} -> [^\W\d_], \p{N} -> \d).
PAT = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+""")


def bytes_to_unicode():
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


B2U = bytes_to_unicode()


def normalize(text):
    return re.sub(r'\s+', ' ', unicodedata.normalize('NFC', text)).lower()


def words(text):
    return [''.join(B2U[b] for b in w.encode('utf-8')) for w in PAT.findall(normalize(text))]


class Encoder:
    """Encodes text to ids with the merges of a tokenizer.json written by train_tokenizer.py (BOS ... EOS)."""

    def __init__(self, tokenizer_json):
        with open(tokenizer_json) as f:
            model = json.load(f)['model']
        self.vocab = model['vocab']
        self.ranks = {tuple(m.split(' ')): i for i, m in enumerate(model['merges'])}
        self.bos, self.eos = self.vocab[BOS_TEXT], self.vocab[EOS_TEXT]
        self.cache = {}

    def word(self, w):
        if w in self.cache:
            return self.cache[w]
        s = list(w[:-1]) + [w[-1] + '</w>']
        while len(s) > 1:
            best = min(((self.ranks.get(p, 1 << 30), i) for i, p in enumerate(zip(s, s[1:]))))
            if best[0] == 1 << 30:
                break
            a, b = s[best[1]], s[best[1] + 1]
            out, i = [], 0
            while i < len(s):
                if i < len(s) - 1 and s[i] == a and s[i + 1] == b:
                    out.append(a + b); i += 2
                else:
                    out.append(s[i]); i += 1
            s = out
        ids = [self.vocab.get(t, self.eos) for t in s]
        self.cache[w] = ids
        return ids

    def encode(self, text):
        ids = [self.bos]
        for w in words(text):
            ids.extend(self.word(w))
        ids.append(self.eos)
        return ids
