"""A byte-level BPE tokenizer with CLIP's conventions and CLIP's vocabulary size (49408), trained
here because no CLIP merges file may be downloaded. The conventions are those of
openai/clip-vit-base-patch32's tokenizer.json: NFC, whitespace collapsed, lower-cased; CLIP's split
regex; GPT-2's byte-to-unicode table; words end in `</w>`; vocabulary order = the 256 byte symbols,
the same with `</w>`, one entry per merge, then `<|startoftext|>` (49406) and `<|endoftext|>` (49407);
RobertaProcessing adds them around each text; unk and pad are `<|endoftext|>`.

The merges are learned from English text that ships in this repository's npm dependencies (their
Markdown documentation, CLDR's English emoji annotations, emojilib keywords, the emoji class
names), so the token counts of English labels are close to CLIP's (common words are one token).
Training keeps pair counts and the words each pair occurs in, and re-counts only the words a merge
touches (the textbook incremental algorithm), about a minute for 48,894 merges.
"""
import collections
import glob
import heapq
import json
import os
import sys

VOCAB_SIZE = 49408
# CLIP's conventions (pre-tokenizer regex, byte-to-unicode table, normaliser) are the embedded model's too: one copy,
# in models/scripts/bpe.py.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'models', 'scripts'))
from bpe import B2U, PAT, normalize, tokenizer_json  # noqa: E402
from bpe import BOS_TEXT as BOS, EOS_TEXT as EOS  # noqa: E402


def corpus(root):
    """Texts in a fixed order: they depend only on the repository and its package-lock."""
    texts = [c['name'] for c in json.load(open(os.path.join(root, 'tests', 'fixtures', 'emoji-classes.json')))]
    cldr = os.path.join(root, 'node_modules', 'cldr-annotations-full', 'annotations', 'en', 'annotations.json')
    if os.path.exists(cldr):
        for entry in json.load(open(cldr))['annotations']['annotations'].values():
            texts += entry.get('tts', []) + entry.get('default', [])
    emojilib = os.path.join(root, 'node_modules', 'emojilib', 'dist', 'emoji-en-US.json')
    if os.path.exists(emojilib):
        for words in json.load(open(emojilib)).values():
            texts += [w.replace('_', ' ') for w in words]
    for path in sorted(glob.glob(os.path.join(root, 'node_modules', '**', '*.md'), recursive=True)):
        try:
            with open(path, encoding='utf-8') as f:
                texts.append(f.read())
        except (UnicodeDecodeError, OSError):
            continue
    return texts


def word_counts(texts):
    counts = collections.Counter()
    for text in texts:
        counts.update(''.join(B2U[b] for b in w.encode('utf-8')) for w in PAT.findall(normalize(text)))
    return counts


def train(counts, n_merges):
    words = [list(w[:-1]) + [w[-1] + '</w>'] for w in counts]
    freqs = list(counts.values())
    pair_count = collections.Counter()
    where = collections.defaultdict(set)
    for i, symbols in enumerate(words):
        for pair in zip(symbols, symbols[1:]):
            pair_count[pair] += freqs[i]
            where[pair].add(i)
    # Max-heap on count; ties go to the lexicographically smallest pair. Entries go stale as counts
    # change and are re-pushed with the current count when popped.
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    merges = []
    while len(merges) < n_merges and heap:
        neg, pair = heapq.heappop(heap)
        current = pair_count.get(pair, 0)
        if current <= 0:
            continue
        if -neg != current:
            heapq.heappush(heap, (-current, pair))
            continue
        merges.append(pair)
        a, b = pair
        merged = a + b
        touched = set()
        for i in list(where[pair]):
            symbols = words[i]
            f = freqs[i]
            for p in zip(symbols, symbols[1:]):
                pair_count[p] -= f
                where[p].discard(i)
            out, k = [], 0
            while k < len(symbols):
                if k + 1 < len(symbols) and symbols[k] == a and symbols[k + 1] == b:
                    out.append(merged)
                    k += 2
                else:
                    out.append(symbols[k])
                    k += 1
            words[i] = out
            for p in zip(out, out[1:]):
                pair_count[p] += f
                where[p].add(i)
                touched.add(p)
        del pair_count[pair]
        where.pop(pair, None)
        for p in touched:
            if pair_count[p] > 0:
                heapq.heappush(heap, (-pair_count[p], p))
    return merges


def build(root):
    """tokenizer.json, tokenizer_config.json and special_tokens_map.json contents."""
    base = list(B2U.values())
    vocab = base + [c + '</w>' for c in base]
    seen = set(vocab)
    counts = word_counts(corpus(root))
    # A merge may rebuild a string an earlier merge made ("a"+"bc" after "ab"+"c"); it is kept as a
    # merge but adds no entry, so train a little past the target and stop at the vocabulary size.
    merges = []
    for pair in train(counts, VOCAB_SIZE * 2):
        token = pair[0] + pair[1]
        merges.append(pair)
        if token not in seen:
            seen.add(token)
            vocab.append(token)
        if len(vocab) == VOCAB_SIZE - 2:
            break
    if len(vocab) != VOCAB_SIZE - 2:
        raise SystemExit(f'the corpus gave only {len(vocab)} tokens; {VOCAB_SIZE - 2} are needed')
    vocab += [BOS, EOS]
    ids = {t: i for i, t in enumerate(vocab)}
    tokenizer = tokenizer_json(ids, merges)
    token = lambda content: dict(content=content, single_word=False, lstrip=False, rstrip=False,
                                 normalized=True, __type='AddedToken')
    tokenizer_config = {
        'unk_token': token(EOS), 'bos_token': token(BOS), 'eos_token': token(EOS), 'pad_token': EOS,
        'add_prefix_space': False, 'errors': 'replace', 'do_lower_case': True,
        'name_or_path': 'openai/clip-vit-base-patch32', 'model_max_length': 77,
        'special_tokens_map_file': './special_tokens_map.json', 'tokenizer_class': 'CLIPTokenizer',
    }
    plain = lambda content: dict(content=content, single_word=False, lstrip=False, rstrip=False, normalized=True)
    special_tokens_map = {'bos_token': plain(BOS), 'eos_token': plain(EOS), 'unk_token': plain(EOS), 'pad_token': EOS}
    return tokenizer, tokenizer_config, special_tokens_map, len(merges)
