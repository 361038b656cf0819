"""Training captions, shared by the tokenizer trainer, the training script and the benchmark's held-out list.

Caption text comes only from emoji-datasource (names, MIT), Unicode CLDR (name and keywords, Unicode licence),
emojibase-data (tags, MIT) and emojilib (keywords, MIT). OpenMoji's metadata (`openmoji` in classes.json) is the
evaluation's and is never read here.

Captions teach attributes in the forms the methods use (Menon & Vondrick's "{class}, which has {descriptor}", FuDD's
differential sentences): "{name}, which has {keyword}", "{name}, which is {keyword}", "a {keyword} emoji", and
contrasts "{a}, unlike {b}, has {keyword}" built from keywords one emoji has and the other lacks.

Held-out keywords: for every class, build-data.mjs keeps a fixed half of its keywords (chosen by a hash of class
name and keyword, so independent of any evaluation data) out of its captions; `c['captions']` lists the names and
keywords a caption of `c` may contain, and the methods benchmark describes `c` only with texts outside them.
"""
import json, os, random

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
DATA = os.path.join(ROOT, 'models', '.data')
# where the tokenizer and the exported model go (a candidate folder while experimenting)
MODEL = os.path.abspath(os.environ.get('MODEL_DIR', os.path.join(ROOT, 'models', 'emoji-clip')))

TEMPLATES = [
    'an emoji of {}', 'an emoji of {}.', 'a photo of a {}', 'a photo of a {}.', 'This is a photo of {}', 'a picture of {}',
    '{}', 'an image of {}', 'an icon of {}', 'a drawing of {}', 'a cartoon {}', 'a {} emoji', 'the {} emoji',
    'an illustration of {}', 'a photo of the {}.', 'a rendering of {}', 'a sticker of {}', 'a clipart of {}',
    'a {}', 'emoji: {}', 'a flat icon of {}', 'a small picture of {}', 'an emoji showing {}', 'a photo of {}',
    'A photo of a {}.',
]
SUB_TEMPLATES = ['an emoji of {}', 'a photo of {}', '{}', 'an icon of {}', 'a kind of {}', 'an emoji in the {} group']
# relative clauses, as the descriptions method builds them ("which has" for most descriptors)
ATTR_FORMS = ['{n}, which has {k}', '{n}, which has {k}', '{n}, which is {k}', '{n}, with {k}', '{t}, which has {k}',
              '{n}, which has {k} and {k2}']
KEYWORD_FORMS = ['a {k} emoji', 'an emoji with {k}', '{k}', 'an emoji of something {k}', '{k}, {k2}, {k3}']
CONTRAST_FORMS = ['{n}, unlike {b}, has {k}', '{n}, unlike {b}, is {k}', 'unlike {b}, {n} has {k}',
                  '{t}, which has {k}, unlike {b}']
KIND_WEIGHTS = {'name': 0.43, 'attr': 0.25, 'contrast': 0.15, 'keyword': 0.10, 'sub': 0.07}


def load_classes():
    with open(os.path.join(DATA, 'classes.json')) as f:
        return json.load(f)['classes']


def names_of(c):
    """The names its captions use, with sampling weights: emoji-datasource name 6, CLDR name 2, short names 1."""
    weight = lambda n: 6.0 if n == c['name'] else 2.0 if n == c.get('cldr_name') else 1.0
    return [(n, weight(n)) for n in c['captions']['names']]


def all_keywords(c):
    """Every keyword of the emoji (CLDR, emojibase, emojilib), held out or not: what it has."""
    return c['keywords']


def train_keywords(c):
    """The keywords its captions may use (build-data.mjs holds the rest out)."""
    return c['captions']['keywords']


class Captions:
    """Samples captions for a class; `kind` says which loss terms a caption takes part in."""

    def __init__(self, classes, rng):
        self.classes = classes
        self.rng = rng
        self.names = [names_of(c) for c in classes]
        self.kw = [train_keywords(c) for c in classes]
        self.all_kw = [set(all_keywords(c)) for c in classes]
        by_sub = {}
        for c in classes:
            by_sub.setdefault(c['subcategory'], []).append(c['id'])
        self.same_sub = [by_sub[c['subcategory']] for c in classes]

    def name(self, c):
        ns = self.names[c]
        return self.rng.choices([n for n, _ in ns], weights=[w for _, w in ns])[0]

    def templated(self, c):
        tpl = 'an emoji of {}' if self.rng.random() < 0.25 else self.rng.choice(TEMPLATES)
        return tpl.format(self.name(c))

    def other(self, c):
        pool = self.same_sub[c]
        if len(pool) > 1 and self.rng.random() < 0.7:
            while True:
                b = self.rng.choice(pool)
                if b != c:
                    return b
        while True:
            b = self.rng.randrange(len(self.classes))
            if b != c:
                return b

    def sample(self, c):
        """(caption, kind) for class c."""
        r = self.rng
        kind = r.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
        kws = self.kw[c]
        if kind in ('attr', 'keyword', 'contrast') and not kws:
            kind = 'name'
        if kind == 'sub':
            cl = self.classes[c]
            label = cl['subcategory'] if r.random() < 0.85 else cl['category'].lower()
            return r.choice(SUB_TEMPLATES).format(label), kind
        if kind == 'name':
            return self.templated(c), kind
        k = r.choice(kws)
        k2 = r.choice(kws)
        k3 = r.choice(kws)
        if kind == 'attr':
            form = r.choice(ATTR_FORMS)
            if '{k2}' in form and k2 == k:
                form = ATTR_FORMS[0]
            return form.format(n=self.name(c), t=self.templated(c), k=k, k2=k2), kind
        if kind == 'keyword':
            form = r.choice(KEYWORD_FORMS)
            if '{k2}' in form and len(kws) < 3:
                form = KEYWORD_FORMS[0]
            if '{k2}' in form:
                k, k2, k3 = r.sample(kws, 3)
            return form.format(k=k, k2=k2, k3=k3), kind
        for _ in range(4):
            b = self.other(c)
            diff = [x for x in kws if x not in self.all_kw[b]]
            if diff:
                form = r.choice(CONTRAST_FORMS)
                return form.format(n=self.name(c), t=self.templated(c), b=self.name(b), k=r.choice(diff)), kind
        return self.templated(c), 'name'


def corpus(classes):
    """Caption strings the BPE is trained on: every name with every template, every kept keyword in each form,
    subcategories, and a fixed sample of contrasts."""
    texts = set()
    for c in classes:
        for n, _ in names_of(c):
            for tpl in TEMPLATES:
                texts.add(tpl.format(n))
        for k in train_keywords(c):
            texts.add(f"{c['name']}, which has {k}")
            texts.add(f"{c['name']}, which is {k}")
            texts.add(f'a {k} emoji')
        for tpl in SUB_TEMPLATES:
            texts.add(tpl.format(c['subcategory']))
            texts.add(tpl.format(c['category'].lower()))
    cap = Captions(classes, random.Random(1))
    for _ in range(20000):
        texts.add(cap.sample(cap.rng.randrange(len(classes)))[0])
    return sorted(texts)

