"""A SentencePiece-style Unigram tokenizer with SigLIP's conventions, as a tokenizer.json that the
`tokenizers` libraries (Python, Rust, and @huggingface/tokenizers that Descry and transformers.js use)
read, built here because no SentencePiece model may be downloaded. The conventions are those of
google/siglip-base-patch16-224: lower-cased text (SigLIP's processor lower-cases; a Lowercase
normaliser here), a Unigram model over pieces that mark a word start with "▁" (U+2581), a
Metaspace pre-tokenizer (split on spaces, "▁" prepended to every word) and decoder, ids
0 <pad>, 1 </s>, 2 <unk>, every text followed by </s> (TemplateProcessing), pad_token </s>
(SigLIP pads with the end token, to max_length 64).

The pieces and their scores are estimated once from English words that ship in this repository's
npm dependencies (the emoji class names, CLDR's English emoji annotations, emojilib keywords): every
character seen, then the most frequent substrings of the "▁"-prefixed words (up to 12 characters),
each scored with the log of its frequency among the pieces kept, as a Unigram model's log
probabilities are. Deviation: SentencePiece fits those probabilities with EM and prunes the pieces
by their loss; one counting pass is enough for a random-weight model, whose tokenizer only has to
be a valid Unigram with SigLIP's layout and a plausible segmentation (common words are one piece).
"""
import collections
import json
import math
import os

PAD, EOS, UNK = '<pad>', '</s>', '<unk>'
SPACE = '\u2581'
MAX_PIECE = 12


def words(root):
    """The corpus as words, in a fixed order: it depends only on the repository and its package-lock."""
    texts = [c['name'] for c in json.load(open(os.path.join(root, 'tests', 'fixtures', 'emoji-classes.json')))]
    cldr = os.path.join(root, 'node_modules', 'cldr-annotations-full', 'annotations', 'en', 'annotations.json')
    if os.path.exists(cldr):
        for entry in json.load(open(cldr))['annotations']['annotations'].values():
            texts += entry.get('tts', []) + entry.get('default', [])
    emojilib = os.path.join(root, 'node_modules', 'emojilib', 'dist', 'emoji-en-US.json')
    if os.path.exists(emojilib):
        for keywords in json.load(open(emojilib)).values():
            texts += [w.replace('_', ' ') for w in keywords]
    texts += ['a photo of a', 'this is a photo of', 'an emoji of', 'which has', 'which is']
    return [w for text in texts for w in text.lower().split()]


def pieces(root, vocab_size):
    counts = collections.Counter(SPACE + w for w in words(root))
    chars = collections.Counter()
    substrings = collections.Counter()
    for word, count in counts.items():
        for i in range(len(word)):
            chars[word[i]] += count
            for j in range(i + 2, min(len(word), i + MAX_PIECE) + 1):
                substrings[word[i:j]] += count
    budget = vocab_size - 3 - len(chars)
    if budget < 0:
        raise SystemExit(f'{len(chars)} characters do not fit a vocabulary of {vocab_size}')
    kept = sorted(substrings.items(), key=lambda kv: (-kv[1], kv[0]))[:budget]
    if len(kept) < budget:
        raise SystemExit(f'the corpus gave only {len(kept) + len(chars) + 3} pieces; {vocab_size} are needed')
    every = sorted(chars.items(), key=lambda kv: (-kv[1], kv[0])) + kept
    total = sum(count for _, count in every)
    # Single characters get the lowest score of all, so that a known longer piece always wins.
    floor = math.log(min(count for _, count in every) / total) - 1.0
    scored = [[piece, round(math.log(count / total), 6)] for piece, count in kept]
    scored += [[char, round(floor - i * 1e-3, 6)] for i, (char, _) in enumerate(sorted(chars.items(), key=lambda kv: (-kv[1], kv[0])))]
    return scored


def build(root, vocab_size=32000, max_length=64):
    """tokenizer.json, tokenizer_config.json and special_tokens_map.json contents."""
    vocab = [[PAD, 0.0], [EOS, 0.0], [UNK, 0.0]] + pieces(root, vocab_size)
    special = lambda i, content: {'id': i, 'content': content, 'single_word': False, 'lstrip': False,
                                  'rstrip': False, 'normalized': False, 'special': True}
    metaspace = {'type': 'Metaspace', 'replacement': SPACE, 'prepend_scheme': 'always', 'split': True}
    tokenizer = {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [special(0, PAD), special(1, EOS), special(2, UNK)],
        'normalizer': {'type': 'Lowercase'},
        'pre_tokenizer': metaspace,
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': EOS, 'type_id': 0}}],
            'pair': [{'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': EOS, 'type_id': 0}},
                     {'Sequence': {'id': 'B', 'type_id': 0}}, {'SpecialToken': {'id': EOS, 'type_id': 0}}],
            'special_tokens': {EOS: {'id': EOS, 'ids': [1], 'tokens': [EOS]}},
        },
        'decoder': metaspace,
        'model': {'type': 'Unigram', 'unk_id': 2, 'vocab': vocab, 'byte_fallback': False},
    }
    token = lambda content: {'content': content, 'single_word': False, 'lstrip': False, 'rstrip': False,
                             'normalized': False, 'special': True}
    tokenizer_config = {
        'added_tokens_decoder': {'0': token(PAD), '1': token(EOS), '2': token(UNK)},
        'additional_special_tokens': [],
        'clean_up_tokenization_spaces': True,
        'eos_token': EOS,
        'model_input_names': ['input_ids'],
        'model_max_length': max_length,
        'pad_token': EOS,
        'processor_class': 'SiglipProcessor',
        'sp_model_kwargs': {},
        'tokenizer_class': 'SiglipTokenizer',
        'unk_token': UNK,
    }
    special_tokens_map = {
        'eos_token': {'content': EOS, 'lstrip': False, 'normalized': False, 'rstrip': False, 'single_word': False},
        'pad_token': {'content': EOS, 'lstrip': False, 'normalized': False, 'rstrip': False, 'single_word': False},
        'unk_token': {'content': UNK, 'lstrip': False, 'normalized': False, 'rstrip': False, 'single_word': False},
    }
    return tokenizer, tokenizer_config, special_tokens_map
