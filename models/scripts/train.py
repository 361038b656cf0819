"""Contrastive training of the embedded emoji-clip model (CPU, 2 threads, fixed seeds, a fixed number of steps)."""
import json, math, os, random, sys, time
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')  # before torch loads OpenMP: spinning threads starve other jobs
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
sys.path.insert(0, os.path.dirname(__file__))
from bpe import Encoder
from captions import load_classes, Captions, SUB_TEMPLATES, ROOT, DATA, MODEL
import model as M
from model import EmojiCLIP, MEAN, STD
M.FAST_LINEAR = True

torch.set_num_threads(2)
SEED = int(os.environ.get('SEED', 0))
random.seed(SEED); np.random.seed(SEED); torch.manual_seed(SEED)

# A fixed number of steps, not a wall-clock budget: a rebuild is reproducible and a busy machine only makes it slower.
STEPS = int(os.environ.get('TRAIN_STEPS', 4000))
EVAL_EVERY = int(os.environ.get('EVAL_EVERY', 200))
BATCH = int(os.environ.get('BATCH', 128))
LR = float(os.environ.get('LR', 3e-3))
OUT = os.environ.get('CKPT', os.path.join(DATA, 'emoji-clip.pt'))
STYLES = os.environ.get('STYLES', 'twemoji,noto,notov1').split(',')
CFG = dict(image_size=int(os.environ.get('IMAGE_SIZE', 48)), vision_widths=[16, 32, 64, 128], embed_dim=256, text_width=96, text_layers=2, text_heads=4,
           text_mlp=384, context=32)
for k in list(CFG):
    if os.environ.get('CFG_' + k.upper()):
        CFG[k] = json.loads(os.environ['CFG_' + k.upper()])
S = CFG['image_size']
N_VAL = 300  # classes whose notov1 image is held out for model selection (training-style split)

classes = load_classes()
C = len(classes)
ENC = Encoder(os.path.join(MODEL, 'tokenizer.json'))
VOCAB = len(ENC.vocab)
EOS = ENC.eos

rng = random.Random(SEED)
val_classes = set(rng.sample([c['id'] for c in classes if 'notov1' in c['images']], N_VAL))


def load_rgba(p):
    im = Image.open(os.path.join(ROOT, p)).convert('RGBA')
    if im.size != (64, 64):
        im = im.resize((64, 64), Image.BICUBIC)
    return torch.from_numpy(np.asarray(im, dtype=np.float32) / 255.0).permute(2, 0, 1)


imgs, img_cls, val_imgs, val_cls = [], [], [], []
for c in classes:
    for st in STYLES:
        p = c['images'].get(st)
        if not p:
            continue
        if st == 'notov1' and c['id'] in val_classes:
            val_imgs.append(load_rgba(p)); val_cls.append(c['id'])
        else:
            imgs.append(load_rgba(p)); img_cls.append(c['id'])
imgs = torch.stack(imgs)
img_cls = torch.tensor(img_cls)
val_imgs = torch.stack(val_imgs) if val_imgs else None
val_cls = torch.tensor(val_cls)
by_class = [[] for _ in range(C)]
for i, c in enumerate(img_cls.tolist()):
    by_class[c].append(i)
print(f'train images={len(imgs)} val images={len(val_cls)} classes={C} vocab={VOCAB}', flush=True)

captions = Captions(classes, rng)
cap_ids = {}


def ids_of(text):
    ids = cap_ids.get(text)
    if ids is None:
        ids = cap_ids[text] = ENC.encode(text)
    return ids


def sample_caption(c):
    """(caption, kind) whose tokens fit the context."""
    while True:
        text, kind = captions.sample(c)
        if len(ids_of(text)) <= CFG['context']:
            return text, kind


MEAN_T = torch.tensor(MEAN).view(1, 3, 1, 1)
STD_T = torch.tensor(STD).view(1, 3, 1, 1)


def pad(id_lists):
    L = max(len(x) for x in id_lists)
    ids = torch.full((len(id_lists), L), EOS, dtype=torch.long)
    mask = torch.zeros((len(id_lists), L), dtype=torch.long)
    for i, x in enumerate(id_lists):
        ids[i, :len(x)] = torch.tensor(x)
        mask[i, :len(x)] = 1
    return ids, mask


def encode_texts(model, id_lists, buckets=3):
    """Text features in input order, run in length buckets: captions range from 4 to 32 tokens, and padding every
    one to the longest would more than double the text tower's work."""
    order = sorted(range(len(id_lists)), key=lambda i: len(id_lists[i]))
    out = [None] * len(id_lists)
    size = -(-len(order) // buckets)
    for b in range(0, len(order), size):
        part = order[b:b + size]
        ids, mask = pad([id_lists[i] for i in part])
        feats = model.text(ids, mask)
        for j, i in enumerate(part):
            out[i] = feats[j]
    return torch.stack(out)


def gaussian_blur(x, sigma):
    """Separable Gaussian blur, one sigma (float) for the whole batch."""
    k = 5
    ax = torch.arange(k, dtype=torch.float32) - k // 2
    g = torch.exp(-(ax ** 2) / (2 * sigma ** 2))
    g = g / g.sum()
    Ch = x.shape[1]
    x = F.conv2d(F.pad(x, (2, 2, 0, 0), mode='replicate'), g.view(1, 1, 1, k).repeat(Ch, 1, 1, 1), groups=Ch)
    return F.conv2d(F.pad(x, (0, 0, 2, 2), mode='replicate'), g.view(1, 1, k, 1).repeat(Ch, 1, 1, 1), groups=Ch)


SOBEL = torch.tensor([[-1., 0., 1.], [-2., 0., 2.], [-1., 0., 1.]])


def edges(rgb):
    B = rgb.shape[0]
    kx = SOBEL.view(1, 1, 3, 3).repeat(3, 1, 1, 1)
    ky = SOBEL.t().reshape(1, 1, 3, 3).repeat(3, 1, 1, 1)
    gx = F.conv2d(F.pad(rgb, (1, 1, 1, 1), mode='replicate'), kx, groups=3)
    gy = F.conv2d(F.pad(rgb, (1, 1, 1, 1), mode='replicate'), ky, groups=3)
    return (gx.abs() + gy.abs()).amax(1, keepdim=True)


def augment(x):
    """x: [B,4,64,64] RGBA in [0,1] -> normalised [B,3,S,S]."""
    B = x.shape[0]
    rand = lambda *s: torch.rand(*s)
    # premultiply so resampling does not bleed transparent colours
    x = torch.cat([x[:, :3] * x[:, 3:], x[:, 3:]], 1)
    # geometry: scale, shift, small rotation
    scale = 0.55 + 0.45 * rand(B)
    ang = (rand(B) - 0.5) * 2 * math.radians(12)
    tx, ty = (rand(B) - 0.5) * 0.3, (rand(B) - 0.5) * 0.3
    cos, sin = torch.cos(ang) / scale, torch.sin(ang) / scale
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, (B, 4, S, S), align_corners=False)
    x = F.grid_sample(x, grid, mode='bilinear', padding_mode='zeros', align_corners=False)
    a = x[:, 3:].clamp(0, 1)
    rgb = x[:, :3] / a.clamp(min=1e-3)
    rgb = rgb.clamp(0, 1)
    # flatten colours (smooth gradients away) for some samples
    sel = (rand(B) < 0.35).nonzero().squeeze(1)
    if len(sel):
        rgb = rgb.clone()
        rgb[sel] = gaussian_blur(rgb[sel], 0.6 + rng.random() * 0.8)
    # outline / line-art: dark strokes on the silhouette and on colour edges (OpenMoji-like)
    sel = (rand(B) < 0.6).nonzero().squeeze(1)
    if len(sel):
        n = len(sel)
        rs, as_ = rgb[sel], a[sel]
        dil = F.max_pool2d(as_, 3, 1, 1)
        ero = -F.max_pool2d(-as_, 3, 1, 1)
        sil = ((dil - ero) > 0.35).float()
        thr = 0.25 + 0.5 * rand(n, 1, 1, 1)
        inner = (edges(rs) * as_ > thr).float() * (rand(n, 1, 1, 1) < 0.7).float()
        line = (sil + inner).clamp(0, 1)
        if rng.random() < 0.3:
            line = F.max_pool2d(line, 3, 1, 1)
        line = line * (0.6 + 0.4 * rand(n, 1, 1, 1))
        dark = rand(n, 1, 1, 1) * 0.2
        rgb = rgb.clone(); a = a.clone()
        rgb[sel] = rs * (1 - line) + dark * line
        a[sel] = torch.maximum(as_, line)
    # colour jitter (mild: colour carries meaning)
    bright = 1 + (rand(B, 1, 1, 1) - 0.5) * 0.4
    contrast = 1 + (rand(B, 1, 1, 1) - 0.5) * 0.4
    sat = 1 + (rand(B, 1, 1, 1) - 0.5) * 0.6
    gray = rgb.mean(1, keepdim=True)
    rgb = (gray + (rgb - gray) * sat)
    mu = rgb.mean(dim=(1, 2, 3), keepdim=True)
    rgb = ((rgb - mu) * contrast + mu) * bright
    rgb = rgb.clamp(0, 1)
    img = composite(rgb, a)
    # final blur / noise
    sel = (rand(B) < 0.2).nonzero().squeeze(1)
    if len(sel):
        img[sel] = gaussian_blur(img[sel], 0.4 + rng.random() * 0.7)
    img = (img + torch.randn_like(img) * 0.02 * (rand(B, 1, 1, 1) < 0.3).float()).clamp(0, 1)
    return (img - MEAN_T) / STD_T


def pick(n, weights):
    """Per sample, the index of one option drawn with `weights`."""
    return torch.multinomial(torch.tensor(weights), n, replacement=True)


def background(kind, n, rgb=None, a=None):
    """n backgrounds [n,3,S,S] of one kind."""
    rand = lambda *s: torch.rand(*s)
    c1 = rand(n, 3, 1, 1)
    if kind == 'white':
        bg = torch.ones(n, 3, 1, 1) * (0.85 + 0.15 * rand(n, 1, 1, 1))
    elif kind == 'black':
        bg = torch.zeros(n, 3, 1, 1) + 0.06 * rand(n, 1, 1, 1)
    elif kind == 'dark':
        bg = c1 * 0.3
    elif kind == 'light':
        bg = 0.7 + 0.3 * c1
    elif kind == 'solid':
        bg = c1
    elif kind == 'gradient':
        bg = c1 + (rand(n, 3, 1, 1) - c1) * torch.linspace(0, 1, S).view(1, 1, S, 1)
    elif kind == 'noise':
        bg = (gaussian_blur(rand(n, 3, S, S), 0.5 + rng.random()) * (0.3 + 0.7 * rand(n, 1, 1, 1)) + c1 * 0.3).clamp(0, 1)
    else:  # 'bleed': the edge colours spread outwards, as some encoders store under transparent pixels
        bg = (gaussian_blur(rgb * a, 2.0) / gaussian_blur(a, 2.0).clamp(min=1e-3)).clamp(0, 1)
    return bg.expand(n, 3, S, S)


COMPOSITE = {'white': 0.40, 'light': 0.06, 'black': 0.14, 'dark': 0.08, 'solid': 0.14, 'gradient': 0.09, 'noise': 0.09}
DROPPED_FILL = {'black': 0.6, 'white': 0.1, 'solid': 0.1, 'noise': 0.1, 'bleed': 0.1}
P_DROP = 0.3


def composite(rgb, a):
    """Puts the emoji (un-premultiplied rgb, alpha a) on a background, as images reach the model in use:
    composited onto white (Descry's default) or another colour, a gradient or noise; or with alpha DROPPED, as
    transformers.js and CLIPImageProcessor do, so the model sees whatever a decoder stored under transparent pixels
    (usually black, sometimes white, a random colour, noise, or the edge colours bled outwards) and antialiased
    edges at full colour."""
    B = rgb.shape[0]
    drop = torch.rand(B) < P_DROP
    img = torch.empty(B, 3, S, S)
    for dropped, table in ((False, COMPOSITE), (True, DROPPED_FILL)):
        idx = (drop == dropped).nonzero().squeeze(1)
        if not len(idx):
            continue
        kinds = list(table)
        which = pick(len(idx), list(table.values()))
        for k, kind in enumerate(kinds):
            sub = idx[which == k]
            if not len(sub):
                continue
            bg = background(kind, len(sub), rgb[sub], a[sub])
            # alpha dropped: colour wherever alpha > 0 (a hard edge, softened a little as a later resize does)
            cover = (a[sub] * 8).clamp(0, 1) if dropped else a[sub]
            img[sub] = rgb[sub] * cover + bg * (1 - cover)
    return img


def to_input(x, background='white'):
    """Eval-time: RGBA [B,4,64,64] on white, or with alpha dropped over black (what a PNG encoder usually stores
    under transparent pixels), resized to S (no augmentation)."""
    a = x[:, 3:]
    if background == 'white':
        rgb = x[:, :3] * a + (1 - a)
    else:
        rgb = x[:, :3] * (a > 0).float()
    if rgb.shape[-1] != S:
        rgb = F.interpolate(rgb, size=(S, S), mode='bicubic', align_corners=False).clamp(0, 1)
    return (rgb - MEAN_T) / STD_T


def encode_class_names(model, template='an emoji of {}'):
    ids, mask = pad([ids_of(template.format(c['name'])) for c in classes])
    out = []
    for i in range(0, C, 512):
        out.append(model.text(ids[i:i + 512], mask[i:i + 512]))
    return F.normalize(torch.cat(out), dim=-1)


@torch.no_grad()
def evaluate(model):
    """Top-1 / top-5 on the Noto v1 selection split, on white and with alpha dropped (mean of the two)."""
    if val_imgs is None:
        return {}
    model.eval()
    t = encode_class_names(model)
    out = {}
    for bg in ('white', 'drop'):
        v = F.normalize(model.visual(to_input(val_imgs, bg)), dim=-1)
        top5 = (v @ t.t()).topk(5, dim=-1).indices
        out[bg + '_top1'] = (top5[:, 0] == val_cls).float().mean().item()
        out[bg + '_top5'] = (top5 == val_cls[:, None]).any(-1).float().mean().item()
    out['top1'] = (out['white_top1'] + out['drop_top1']) / 2
    model.train()
    return out


def main():
    model = EmojiCLIP(VOCAB, CFG)
    nparams = sum(p.numel() for p in model.parameters())
    print(f'params total={nparams} vision={sum(p.numel() for p in model.visual.parameters())} '
          f'text={sum(p.numel() for p in model.text.parameters())} steps={STEPS}', flush=True)
    # class prototypes (training only, not exported): both towers also classify into the 1,906 classes
    # against shared learnable anchors, which converges far faster than in-batch contrast alone.
    protos = torch.nn.Parameter(torch.randn(C, CFG['embed_dim']) * 0.02)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and 'pos' not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and 'pos' not in n)]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.05}, {'params': no_decay, 'weight_decay': 0.0},
                             {'params': [protos], 'weight_decay': 0.0}],
                            lr=LR, betas=(0.9, 0.98), eps=1e-6)
    t0 = time.time()
    best = (-1, None, None)
    warm = 50
    order = list(range(C))
    PROTO_W = float(os.environ.get('PROTO_W', 1.0))
    EXTRA_TEXT = int(os.environ.get('EXTRA_TEXT', 256))
    PROTO_SCALE = 20.0
    for step in range(STEPS):
        frac = step / STEPS
        lr = LR * min(1.0, (step + 1) / warm) * (0.5 * (1 + math.cos(math.pi * frac)) * 0.98 + 0.02)
        for g in opt.param_groups:
            g['lr'] = lr
        rng.shuffle(order)
        batch_cls = order[:BATCH]
        idx = [rng.choice(by_class[c]) for c in batch_cls]
        x = augment(imgs[idx])
        sampled = [sample_caption(c) for c in batch_cls]
        caps = [t for t, _ in sampled]
        # targets: same caption string => positive (e.g. a shared subcategory or keyword caption)
        same = torch.tensor([[a == b for b in caps] for a in caps], dtype=torch.float32)
        img_f = F.normalize(model.visual(x), dim=-1)
        # batch and extra captions go through the text tower together, in length buckets
        extra = [rng.randrange(C) for _ in range(EXTRA_TEXT)] if PROTO_W > 0 else []
        esampled = [sample_caption(c) for c in extra]
        all_f = F.normalize(encode_texts(model, [ids_of(t) for t in caps] + [ids_of(t) for t, _ in esampled]), dim=-1)
        txt_f = all_f[:len(caps)]
        scale = model.logit_scale.exp().clamp(max=100)
        logits = scale * img_f @ txt_f.t()
        tgt = same / same.sum(1, keepdim=True)
        loss = 0.5 * (torch.sum(-tgt * F.log_softmax(logits, 1), 1).mean() + torch.sum(-tgt * F.log_softmax(logits.t(), 1), 1).mean())
        if PROTO_W > 0:
            P = F.normalize(protos, dim=-1)
            cls_t = torch.tensor(batch_cls)
            loss = loss + PROTO_W * F.cross_entropy(PROTO_SCALE * img_f @ P.t(), cls_t)
            # text -> prototype on this batch's captions plus extra captions of random classes; only captions that
            # name their class (a keyword or a subcategory alone names many classes)
            tf = all_f
            tcls = torch.cat([cls_t, torch.tensor(extra)])
            w = torch.tensor([k in ('name', 'attr', 'contrast') for _, k in sampled + esampled]).float()
            loss = loss + PROTO_W * (F.cross_entropy(PROTO_SCALE * tf @ P.t(), tcls, reduction='none') * w).sum() / w.sum().clamp(min=1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        el = time.time() - t0
        if (step + 1) % 50 == 0:
            print(f'step {step + 1}/{STEPS} t={el / 60:.1f}m cpu={time.process_time() / 60:.1f}m loss={loss.item():.3f} scale={scale.item():.1f} lr={lr:.2e}', flush=True)
        if (step + 1) % EVAL_EVERY == 0 or step + 1 == STEPS:
            ev = evaluate(model)
            print('  val(notov1 held-out) ' + ' '.join(f'{k}={v:.3f}' for k, v in ev.items()), flush=True)
            if ev and ev['top1'] >= best[0] and frac >= 0.5:
                best = (ev['top1'], {k: v.clone() for k, v in model.state_dict().items()}, ev, step + 1)
    minutes = (time.time() - t0) / 60
    ev = evaluate(model)
    print(f'final val {ev} steps={STEPS} minutes={minutes:.1f}', flush=True)
    state, chosen = model.state_dict(), STEPS
    if best[1] is not None and best[0] > ev['top1']:
        print(f'using the best selection-split snapshot: step {best[3]} val {best[2]}')
        state, ev, chosen = best[1], best[2], best[3]
    torch.save({'state': state, 'cfg': CFG, 'vocab_size': VOCAB, 'eos': EOS, 'train_minutes': minutes,
                'steps': STEPS, 'snapshot_step': chosen, 'val': ev, 'val_top1': ev.get('white_top1', 0),
                'val_top5': ev.get('white_top5', 0)}, OUT)


if __name__ == '__main__':
    main()
