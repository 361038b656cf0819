"""Small CLIP-style model: CNN vision tower + causal text transformer, shared projection space."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)


# Debian's torch uses a generic BLAS (slow matmul) but fast oneDNN convolutions: during training
# linear layers run as 1x1 convolutions. Export uses plain F.linear (MatMul/Gemm in ONNX).
FAST_LINEAR = False


class Linear(nn.Linear):
    def forward(self, x):
        if not FAST_LINEAR:
            return F.linear(x, self.weight, self.bias)
        shp = x.shape
        x2 = x.reshape(-1, shp[-1]).t().reshape(1, shp[-1], -1, 1)
        y = F.conv2d(x2, self.weight.view(self.out_features, self.in_features, 1, 1), self.bias)
        return y.view(self.out_features, -1).t().reshape(*shp[:-1], self.out_features)


def conv_bn(cin, cout, k=3, s=1, groups=1, act=True):
    layers = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class Block(nn.Module):
    """Residual block: 3x3 conv (strided) -> 3x3 conv, with 1x1 shortcut when shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = conv_bn(cin, cout, 3, stride)
        self.c2 = conv_bn(cout, cout, 3, 1, act=False)
        self.short = None if (cin == cout and stride == 1) else conv_bn(cin, cout, 1, stride, act=False)

    def forward(self, x):
        y = self.c2(self.c1(x))
        return F.relu(y + (x if self.short is None else self.short(x)))


class VisionTower(nn.Module):
    def __init__(self, widths=(24, 48, 96, 160), embed_dim=256, image_size=64):
        super().__init__()
        self.image_size = image_size
        self.stem = conv_bn(3, widths[0], 3, 2)
        blocks = []
        cin = widths[0]
        for i, w in enumerate(widths[1:]):
            blocks.append(Block(cin, w, 2))
            cin = w
        self.blocks = nn.Sequential(*blocks)
        self.hidden_size = cin
        self.proj = Linear(cin, embed_dim, bias=False)

    def forward(self, pixel_values):
        x = self.blocks(self.stem(pixel_values))
        x = x.mean(dim=(2, 3))
        return self.proj(x)


class Attn(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h = heads
        self.qkv = Linear(d, 3 * d)
        self.out = Linear(d, d)

    def forward(self, x, mask):
        B, L, D = x.shape
        q, k, v = self.qkv(x).reshape(B, L, 3, self.h, D // self.h).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(D // self.h)) + mask
        att = att.softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, L, D)
        return self.out(y)


class Layer(nn.Module):
    def __init__(self, d, heads, mlp):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = Attn(d, heads)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(Linear(d, mlp), nn.GELU(), Linear(mlp, d))

    def forward(self, x, mask):
        x = x + self.attn(self.ln1(x), mask)
        return x + self.mlp(self.ln2(x))


class TextTower(nn.Module):
    def __init__(self, vocab_size, width=96, layers=2, heads=4, mlp=384, context=32, embed_dim=256):
        super().__init__()
        self.context = context
        self.tok = nn.Embedding(vocab_size, width)
        self.pos = nn.Parameter(torch.randn(context, width) * 0.01)
        self.layers = nn.ModuleList([Layer(width, heads, mlp) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)
        self.proj = Linear(width, embed_dim, bias=False)
        self.register_buffer('causal', torch.full((context, context), -1e4).triu(1), persistent=False)
        nn.init.normal_(self.tok.weight, std=0.02)

    def forward(self, input_ids, attention_mask):
        L = input_ids.shape[1]
        x = self.tok(input_ids) + self.pos[:L]
        mask = self.causal[:L, :L]
        for layer in self.layers:
            x = layer(x, mask)
        x = self.ln(x)
        # pool at the end token: position sum(attention_mask) - 1 (right padding with any id is safe)
        idx = (attention_mask.sum(-1) - 1).clamp(min=0)
        pooled = x.gather(1, idx.view(-1, 1, 1).expand(-1, 1, x.shape[-1])).squeeze(1)
        return self.proj(pooled)


class EmojiCLIP(nn.Module):
    def __init__(self, vocab_size, cfg):
        super().__init__()
        self.cfg = cfg
        self.visual = VisionTower(tuple(cfg['vision_widths']), cfg['embed_dim'], cfg['image_size'])
        self.text = TextTower(vocab_size, cfg['text_width'], cfg['text_layers'], cfg['text_heads'], cfg['text_mlp'],
                              cfg['context'], cfg['embed_dim'])
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
