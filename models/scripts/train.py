"""Contrastive training of the embedded emoji-clip model (CPU, 2 threads, fixed seeds)."""
import json, math, os, random, sys, time
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
sys.path.insert(0, os.path.dirname(__file__))
from captions import load_classes, class_texts, TEMPLATES, SUB_TEMPLATES, ROOT, DATA
import model as M
from model import EmojiCLIP, MEAN, STD
M.FAST_LINEAR = True

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
torch.set_num_threads(2)
SEED = int(os.environ.get('SEED', 0))
random.seed(SEED); np.random.seed(SEED); torch.manual_seed(SEED)

MINUTES = float(os.environ.get('TRAIN_MINUTES', 25))
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
cap = json.load(open(os.path.join(DATA, 'captions.json')))
cap_ids = {t: ids for t, ids in zip(cap['texts'], cap['ids'])}
tok = json.load(open(os.path.join(ROOT, 'models', 'emoji-clip', 'tokenizer.json')))
VOCAB = len(tok['model']['vocab'])
EOS = tok['model']['vocab']['<|endoftext|>']

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

texts_per_class = [class_texts(c) for c in classes]
MEAN_T = torch.tensor(MEAN).view(1, 3, 1, 1)
STD_T = torch.tensor(STD).view(1, 3, 1, 1)


def sample_caption(c):
    r = rng.random()
    if r < 0.08:
        return rng.choice(SUB_TEMPLATES).format(classes[c]['subcategory'])
    ts = texts_per_class[c]
    t = rng.choices([x[0] for x in ts], weights=[x[1] for x in ts])[0]
    tpl = 'an emoji of {}' if rng.random() < 0.25 else rng.choice(TEMPLATES)
    return tpl.format(t)


sub_caps = set(t.format(c['subcategory']) for c in classes for t in SUB_TEMPLATES) | \
    set(t.format(c['category'].lower()) for c in classes for t in SUB_TEMPLATES)


def pad(id_lists):
    L = max(len(x) for x in id_lists)
    ids = torch.full((len(id_lists), L), EOS, dtype=torch.long)
    mask = torch.zeros((len(id_lists), L), dtype=torch.long)
    for i, x in enumerate(id_lists):
        ids[i, :len(x)] = torch.tensor(x)
        mask[i, :len(x)] = 1
    return ids, mask


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
    # background: white mostly, else random solid colour or a two-colour gradient
    r = rand(B, 1, 1, 1)
    bg1 = rand(B, 3, 1, 1)
    bg2 = rand(B, 3, 1, 1)
    yy = torch.linspace(0, 1, S).view(1, 1, S, 1)
    grad = bg1 + (bg2 - bg1) * yy
    white = torch.ones(B, 3, 1, 1) * (0.85 + 0.15 * rand(B, 1, 1, 1))
    bg = torch.where(r < 0.55, white, torch.where(r < 0.85, bg1.expand(B, 3, S, S), grad))
    bg = bg.expand(B, 3, S, S)
    img = rgb * a + bg * (1 - a)
    # final blur / noise
    sel = (rand(B) < 0.2).nonzero().squeeze(1)
    if len(sel):
        img[sel] = gaussian_blur(img[sel], 0.4 + rng.random() * 0.7)
    img = (img + torch.randn_like(img) * 0.02 * (rand(B, 1, 1, 1) < 0.3).float()).clamp(0, 1)
    return (img - MEAN_T) / STD_T


def to_input(x):
    """Eval-time: RGBA [B,4,64,64] composited on white, resized to S (no augmentation)."""
    rgb = x[:, :3] * x[:, 3:] + (1 - x[:, 3:])
    if rgb.shape[-1] != S:
        rgb = F.interpolate(rgb, size=(S, S), mode='bicubic', align_corners=False).clamp(0, 1)
    return (rgb - MEAN_T) / STD_T


def encode_class_names(model, template='an emoji of {}'):
    ids, mask = pad([cap_ids.get(template.format(c['name'])) or fail(template.format(c['name'])) for c in classes])
    out = []
    for i in range(0, C, 512):
        out.append(model.text(ids[i:i + 512], mask[i:i + 512]))
    return F.normalize(torch.cat(out), dim=-1)


def fail(t):
    raise KeyError(f'caption not in encoded corpus: {t}')


@torch.no_grad()
def evaluate(model):
    if val_imgs is None:
        return 0.0, 0.0
    model.eval()
    t = encode_class_names(model)
    v = F.normalize(model.visual(to_input(val_imgs)), dim=-1)
    sims = v @ t.t()
    top5 = sims.topk(5, dim=-1).indices
    top1 = (top5[:, 0] == val_cls).float().mean().item()
    t5 = (top5 == val_cls[:, None]).any(-1).float().mean().item()
    model.train()
    return top1, t5


def main():
    model = EmojiCLIP(VOCAB, CFG)
    nparams = sum(p.numel() for p in model.parameters())
    print(f'params total={nparams} vision={sum(p.numel() for p in model.visual.parameters())} '
          f'text={sum(p.numel() for p in model.text.parameters())}', flush=True)
    # class prototypes (training only, not exported): both towers also classify into the 1,906 classes
    # against shared learnable anchors, which converges far faster than in-batch contrast alone.
    protos = torch.nn.Parameter(torch.randn(C, CFG['embed_dim']) * 0.02)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and 'pos' not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and 'pos' not in n)]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.05}, {'params': no_decay, 'weight_decay': 0.0},
                             {'params': [protos], 'weight_decay': 0.0}],
                            lr=LR, betas=(0.9, 0.98), eps=1e-6)
    budget = MINUTES * 60
    t0 = time.time()
    step = 0
    best = (-1, None)
    warm = 50
    order = list(range(C))
    last_eval = t0
    PROTO_W = float(os.environ.get('PROTO_W', 1.0))
    EXTRA_TEXT = int(os.environ.get('EXTRA_TEXT', 256))
    PROTO_SCALE = 20.0
    while True:
        el = time.time() - t0
        if el > budget:
            break
        frac = el / budget
        lr = LR * min(1.0, (step + 1) / warm) * (0.5 * (1 + math.cos(math.pi * frac)) * 0.98 + 0.02)
        for g in opt.param_groups:
            g['lr'] = lr
        rng.shuffle(order)
        batch_cls = order[:BATCH]
        idx = [rng.choice(by_class[c]) for c in batch_cls]
        x = augment(imgs[idx])
        caps = [sample_caption(c) for c in batch_cls]
        ids, mask = pad([cap_ids[c] for c in caps])
        # targets: same caption string => positive (e.g. shared subcategory or tag captions)
        same = torch.tensor([[a == b for b in caps] for a in caps], dtype=torch.float32)
        img_f = F.normalize(model.visual(x), dim=-1)
        txt_f = F.normalize(model.text(ids, mask), dim=-1)
        scale = model.logit_scale.exp().clamp(max=100)
        logits = scale * img_f @ txt_f.t()
        tgt = same / same.sum(1, keepdim=True)
        loss = 0.5 * (torch.sum(-tgt * F.log_softmax(logits, 1), 1).mean() + torch.sum(-tgt * F.log_softmax(logits.t(), 1), 1).mean())
        if PROTO_W > 0:
            P = F.normalize(protos, dim=-1)
            cls_t = torch.tensor(batch_cls)
            loss = loss + PROTO_W * F.cross_entropy(PROTO_SCALE * img_f @ P.t(), cls_t)
            # text -> prototype on this batch's captions plus extra captions of random classes
            extra = [rng.randrange(C) for _ in range(EXTRA_TEXT)]
            ecaps = [sample_caption(c) for c in extra]
            eids, emask = pad([cap_ids[c] for c in ecaps])
            etxt = F.normalize(model.text(eids, emask), dim=-1)
            tf = torch.cat([txt_f, etxt])
            tcls = torch.cat([cls_t, torch.tensor(extra)])
            is_sub = torch.tensor([c in sub_caps for c in caps + ecaps])
            w = (~is_sub).float()
            loss = loss + PROTO_W * (F.cross_entropy(PROTO_SCALE * tf @ P.t(), tcls, reduction='none') * w).sum() / w.sum().clamp(min=1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        step += 1
        if step % 50 == 0:
            print(f'step {step} t={el/60:.1f}m loss={loss.item():.3f} scale={scale.item():.1f} lr={lr:.2e}', flush=True)
        if time.time() - last_eval > 120 or time.time() - t0 > budget:
            last_eval = time.time()
            t1, t5 = evaluate(model)
            print(f'  val(notov1 held-out) top1={t1:.3f} top5={t5:.3f}', flush=True)
            if t1 >= best[0] and frac > 0.5:
                best = (t1, {k: v.clone() for k, v in model.state_dict().items()})
    t1, t5 = evaluate(model)
    print(f'final val top1={t1:.3f} top5={t5:.3f} steps={step} minutes={(time.time()-t0)/60:.1f}', flush=True)
    state = model.state_dict()
    if best[1] is not None and best[0] > t1:
        print(f'using best checkpoint val top1={best[0]:.3f}')
        state = best[1]
    torch.save({'state': state, 'cfg': CFG, 'vocab_size': VOCAB, 'eos': EOS,
                'train_minutes': (time.time() - t0) / 60, 'steps': step, 'val_top1': max(t1, best[0]), 'val_top5': t5}, OUT)


if __name__ == '__main__':
    main()
