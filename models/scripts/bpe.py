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


def tokenizer_json(vocab, merges):
    """tokenizer.json for @huggingface/tokenizers and transformers.js with CLIP's normaliser, pre-tokenizer and
    post-processor: `vocab` maps tokens (BOS_TEXT and EOS_TEXT included) to ids, `merges` are (a, b) pairs in rank order."""
    bos_id, eos_id = vocab[BOS_TEXT], vocab[EOS_TEXT]
    special = dict(single_word=False, lstrip=False, rstrip=False, normalized=True, special=True)
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [dict(id=bos_id, content=BOS_TEXT, **special), dict(id=eos_id, content=EOS_TEXT, **special)],
        'normalizer': {'type': 'Sequence', 'normalizers': [
            {'type': 'NFC'},
            {'type': 'Replace', 'pattern': {'Regex': '\\s+'}, 'content': ' '},
            {'type': 'Lowercase'}]},
        'pre_tokenizer': {'type': 'Sequence', 'pretokenizers': [
            {'type': 'Split', 'pattern': {'Regex': "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+"},
             'behavior': 'Removed', 'invert': True},
            {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': False}]},
        'post_processor': {'type': 'RobertaProcessing', 'sep': [EOS_TEXT, eos_id], 'cls': [BOS_TEXT, bos_id],
                           'trim_offsets': False, 'add_prefix_space': False},
        'decoder': {'type': 'ByteLevel', 'add_prefix_space': True, 'trim_offsets': True, 'use_regex': True},
        'model': {'type': 'BPE', 'dropout': None, 'unk_token': EOS_TEXT, 'continuing_subword_prefix': '',
                  'end_of_word_suffix': '</w>', 'fuse_unk': False, 'byte_fallback': False,
                  'vocab': vocab, 'merges': [f'{a} {b}' for a, b in merges]},
    }


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
