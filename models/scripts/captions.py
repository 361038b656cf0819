"""Caption corpus shared by the tokenizer trainer and the training script."""
import json, os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
DATA = os.path.join(ROOT, 'models', '.data')

TEMPLATES = [
    'an emoji of {}', 'an emoji of {}.', 'a photo of a {}', 'a photo of a {}.', 'This is a photo of {}', 'a picture of {}',
    '{}', 'an image of {}', 'an icon of {}', 'a drawing of {}', 'a cartoon {}', 'a {} emoji', 'the {} emoji',
    'an illustration of {}', 'a photo of the {}.', 'a rendering of {}', 'a sticker of {}', 'a clipart of {}',
    'a {}', 'emoji: {}', 'a flat icon of {}', 'a small picture of {}', 'an emoji showing {}', 'a photo of {}',
]
SUB_TEMPLATES = ['an emoji of {}', 'a photo of {}', '{}', 'an icon of {}', 'a kind of {}', 'an emoji in the {} group']


def load_classes():
    with open(os.path.join(DATA, 'classes.json')) as f:
        return json.load(f)['classes']


def class_texts(c):
    """Texts describing a class, each with a sampling weight."""
    out = [(c['name'], 6.0)]
    if c.get('annotation') and c['annotation'].lower() != c['name']:
        out.append((c['annotation'].lower(), 2.0))
    for s in c['short_names']:
        if s.lower() != c['name']:
            out.append((s.lower(), 1.0))
    tags = c.get('tags') or []
    for t in tags:
        out.append((t.lower(), 0.25))
    if len(tags) >= 2:
        out.append((', '.join(t.lower() for t in tags[:4]), 0.5))
    return out


def corpus(classes):
    """All caption strings (used to train the BPE)."""
    texts = set()
    for c in classes:
        for t, _ in class_texts(c):
            for tpl in TEMPLATES:
                texts.add(tpl.format(t))
        for tpl in SUB_TEMPLATES:
            texts.add(tpl.format(c['subcategory']))
            texts.add(tpl.format(c['category'].lower()))
    return sorted(texts)
