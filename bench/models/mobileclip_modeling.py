"""MobileCLIP-S0 in inference form (after structural reparameterisation), written from the public
descriptions: the MobileCLIP paper (Vasu et al., CVPR 2024, arXiv 2311.17049: image encoder MCi0,
text encoder "MCt" = a convolutional RepMixer block, 4 pre-norm transformer layers, another RepMixer
block), the FastViT paper it builds MCi on (arXiv 2303.14189), and the model configuration Apple
publishes (mobileclip_s0.json: 256 px input, embed dim 512, text width 512, 8 heads, FFN x4,
4 transformer layers, context 77, vocabulary 49408, no causal mask). Module names and shapes follow
the reparameterised checkpoints of apple/ml-mobileclip; no code of that repository is copied.

Inference form: every train-time multi-branch block (MobileOne, RepMixer, RepCPE, large-kernel
convolution) is one convolution with bias, which is what an ONNX export of the released model
contains. BatchNorm layers that are not folded at train time (ConvFFN, attention pre-norm) stay.

Image tower MCi0: stem of three convs (3x3/2, depthwise 3x3/2, 1x1; GELU) to 64 channels at 1/4,
stages of [2, 6, 10, 2] blocks at widths [64, 128, 256, 512]: RepMixer blocks (depthwise 3x3 mixer,
ConvFFN = depthwise 7x7 + BN, 1x1 expand x3, GELU, 1x1) in the first three, a conditional
positional encoding (depthwise 7x7) then attention blocks (BN, 16 heads of 32, ConvFFN) in the last;
stages joined by patch embeddings (depthwise-grouped 7x7/2 conv, squeeze-excite in the last two,
GELU, then 1x1 + GELU); head: depthwise 3x3 conv to 1024 channels with squeeze-excite and GELU,
global average pool, linear projection to 512 without bias.
Text tower MCt: token + learned positional embeddings (fixed 77 positions), RepMixer block over the
sequence (depthwise (1, 11) convs), 4 transformer layers, RepMixer block, LayerNorm, pooling at the
end token (argmax of ids), projection to 512.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

S0 = {
    'image_size': 256, 'embed_dim': 512,
    'image': dict(layers=[2, 6, 10, 2], widths=[64, 128, 256, 512], mlp_ratio=3, se_downsamples=[False, False, True, True]),
    'text': dict(vocab_size=49408, dim=512, heads=8, ffn=2048, layers=4, context=77, kernel=11),
}


def conv(cin, cout, k, stride=1, groups=1, bias=True):
    k = (k, k) if isinstance(k, int) else k
    return nn.Conv2d(cin, cout, k, stride, (k[0] // 2, k[1] // 2), groups=groups, bias=bias)


class SqueezeExcite(nn.Module):
    """Mean over space, reduce, ReLU, expand, sigmoid gate."""

    def __init__(self, channels, reduced):
        super().__init__()
        self.reduce = nn.Conv2d(channels, reduced, 1)
        self.expand = nn.Conv2d(reduced, channels, 1)

    def forward(self, x):
        gate = torch.sigmoid(self.expand(F.relu(self.reduce(x.mean((2, 3), keepdim=True)))))
        return x * gate


class ReparamConv(nn.Module):
    """A reparameterised MobileOne / large-kernel block: conv with bias, optional SE, optional GELU."""

    def __init__(self, cin, cout, k, stride=1, groups=1, se=None, act=True):
        super().__init__()
        self.reparam_conv = conv(cin, cout, k, stride, groups)
        self.se = se or nn.Identity()
        self.activation = nn.GELU() if act else nn.Identity()

    def forward(self, x):
        return self.activation(self.se(self.reparam_conv(x)))


class ConvFFN(nn.Module):
    def __init__(self, dim, hidden, kernel):
        super().__init__()
        self.conv = nn.Sequential()
        self.conv.add_module('conv', conv(dim, dim, kernel, groups=dim, bias=False))
        self.conv.add_module('bn', nn.BatchNorm2d(dim))
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.act = nn.GELU()
        self.fc2 = nn.Conv2d(hidden, dim, 1)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(self.conv(x))))


class RepMixerBlock(nn.Module):
    """Depthwise mixer (reparameterised: x + scale * (mixer(x) - norm(x)) is one conv), then ConvFFN."""

    def __init__(self, dim, mixer_kernel, ffn_kernel, mlp_ratio):
        super().__init__()
        self.token_mixer = nn.Module()
        self.token_mixer.reparam_conv = conv(dim, dim, mixer_kernel, groups=dim)
        self.convffn = ConvFFN(dim, int(dim * mlp_ratio), ffn_kernel)
        self.layer_scale = nn.Parameter(1e-5 * torch.ones(dim, 1, 1))

    def forward(self, x):
        x = self.token_mixer.reparam_conv(x)
        return x + self.layer_scale * self.convffn(x)


class MHSA(nn.Module):
    def __init__(self, dim, head_dim=32):
        super().__init__()
        self.head_dim = head_dim
        self.num_heads = dim // head_dim
        self.scale = head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=False)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, c, h, w = x.shape
        n = h * w
        x = torch.flatten(x, start_dim=2).transpose(-2, -1)
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(x).transpose(-2, -1).reshape(b, c, h, w)


class AttentionBlock(nn.Module):
    def __init__(self, dim, mlp_ratio):
        super().__init__()
        self.norm = nn.BatchNorm2d(dim)
        self.token_mixer = MHSA(dim)
        self.convffn = ConvFFN(dim, int(dim * mlp_ratio), 7)
        self.layer_scale_1 = nn.Parameter(1e-5 * torch.ones(dim, 1, 1))
        self.layer_scale_2 = nn.Parameter(1e-5 * torch.ones(dim, 1, 1))

    def forward(self, x):
        x = x + self.layer_scale_1 * self.token_mixer(self.norm(x))
        return x + self.layer_scale_2 * self.convffn(x)


class PatchEmbed(nn.Module):
    def __init__(self, cin, cout, se):
        super().__init__()
        self.proj = nn.Sequential(
            ReparamConv(cin, cout, 7, stride=2, groups=cin, se=SqueezeExcite(cout, _divisible(cout * 0.25)) if se else None),
            ReparamConv(cout, cout, 1),
        )

    def forward(self, x):
        return self.proj(x)


def _divisible(value, divisor=8):
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


class RepCPE(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.reparam_conv = conv(dim, dim, 7, groups=dim)

    def forward(self, x):
        return self.reparam_conv(x)


class MCi0(nn.Module):
    def __init__(self, c=S0['image'], embed_dim=512):
        super().__init__()
        w = c['widths']
        self.patch_embed = nn.Sequential(ReparamConv(3, w[0], 3, 2), ReparamConv(w[0], w[0], 3, 2, groups=w[0]),
                                         ReparamConv(w[0], w[0], 1))
        network = []
        for i, blocks in enumerate(c['layers']):
            if i == 3:
                network.append(RepCPE(w[i]))
                network.append(nn.Sequential(*[AttentionBlock(w[i], c['mlp_ratio']) for _ in range(blocks)]))
            else:
                network.append(nn.Sequential(*[RepMixerBlock(w[i], 3, 7, c['mlp_ratio']) for _ in range(blocks)]))
                network.append(PatchEmbed(w[i], w[i + 1], c['se_downsamples'][i + 1]))
        self.network = nn.ModuleList(network)
        self.conv_exp = ReparamConv(w[-1], w[-1] * 2, 3, groups=w[-1], se=SqueezeExcite(w[-1] * 2, int(w[-1] * 2 * 0.0625)))
        self.head = nn.Module()
        self.head.proj = nn.Parameter(torch.randn(w[-1] * 2, embed_dim) * (w[-1] * 2) ** -0.5)

    def forward(self, x):
        x = self.patch_embed(x)
        for block in self.network:
            x = block(x)
        x = self.conv_exp(x)
        return x.mean((2, 3)) @ self.head.proj


class TransformerEncoder(nn.Module):
    def __init__(self, dim, heads, ffn):
        super().__init__()
        self.heads = heads
        self.pre_norm_mha = nn.Sequential(nn.LayerNorm(dim), nn.Module())
        self.pre_norm_mha[1].qkv_proj = nn.Linear(dim, 3 * dim)
        self.pre_norm_mha[1].out_proj = nn.Linear(dim, dim)
        self.pre_norm_ffn = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, ffn), nn.GELU(), nn.Dropout(0.0),
                                          nn.Linear(ffn, dim))

    def forward(self, x):
        b, s, c = x.shape
        attn = self.pre_norm_mha[1]
        qkv = attn.qkv_proj(self.pre_norm_mha[0](x)).reshape(b, s, 3, self.heads, -1).transpose(1, 3)
        q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]
        weights = torch.softmax(torch.matmul(q * (c // self.heads) ** -0.5, k.transpose(-1, -2)), dim=-1)
        x = x + attn.out_proj(torch.matmul(weights, v).transpose(1, 2).reshape(b, s, -1))
        return x + self.pre_norm_ffn(x)


class TextRepMixerBlock(RepMixerBlock):
    """The RepMixer block over a sequence: [B, S, D] viewed as a [B, D, 1, S] image."""

    def __init__(self, dim, kernel):
        super().__init__(dim, (1, kernel), (1, kernel), 4.0)

    def forward(self, x):
        x = torch.unsqueeze(x.permute(0, 2, 1), dim=2)
        return super().forward(x).squeeze(dim=2).permute(0, 2, 1)


class MCt(nn.Module):
    def __init__(self, c=S0['text'], embed_dim=512):
        super().__init__()
        self.embedding_layer = nn.Embedding(c['vocab_size'], c['dim'])
        self.positional_embedding = nn.Module()
        self.positional_embedding.pos_embed = nn.Module()
        self.positional_embedding.pos_embed.pos_embed = nn.Parameter(torch.randn(1, 1, c['context'], c['dim']) * c['dim'] ** -0.5)
        self.transformer = nn.ModuleList(
            [TextRepMixerBlock(c['dim'], c['kernel'])]
            + [TransformerEncoder(c['dim'], c['heads'], c['ffn']) for _ in range(c['layers'])]
            + [TextRepMixerBlock(c['dim'], c['kernel'])])
        self.final_layer_norm = nn.LayerNorm(c['dim'])
        self.projection_layer = nn.Parameter(torch.randn(c['dim'], embed_dim) * c['dim'] ** -0.5)
        self.context = c['context']

    def forward(self, input_ids):
        x = self.embedding_layer(input_ids) + self.positional_embedding.pos_embed.pos_embed.reshape(1, self.context, -1)
        for layer in self.transformer:
            x = layer(x)
        x = self.final_layer_norm(x)
        return x[torch.arange(input_ids.shape[0]), input_ids.argmax(dim=-1)] @ self.projection_layer


class MobileCLIP(nn.Module):
    def __init__(self):
        super().__init__()
        self.image_encoder = MCi0()
        self.text_encoder = MCt()
        self.logit_scale = nn.Parameter(torch.tensor(4.6052))

    def randomize(self, layer_scale=0.1):
        """Random weights that keep activations at a trained model's scale through the depth: convolutions
        and linear layers N(0, 2 / fan_in) (He initialisation: most are followed by GELU or ReLU), the
        reparameterised token mixers and positional convolutions an identity kernel plus N(0, 0.02) (what
        `x + mixer(x) - norm(x)` folds into), layer scales `layer_scale` (the 1e-5 of training's
        initialisation would switch every ConvFFN branch off, leaving the weights that hold most
        parameters without effect on the output), unit batch statistics.

        Version 1 drew every weight from N(0, 0.02): activations shrank by orders of magnitude per stage
        and the image embeddings came out as float32 subnormals (|x| ~ 1e-38), which made every float run
        slow (subnormal arithmetic) and every comparison of variants meaningless."""
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(m.weight, std=(2.0 / m.weight[0].numel()) ** 0.5)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                m.running_mean.zero_()
                m.running_var.fill_(1.0)
            elif isinstance(m, nn.Embedding):
                nn.init.normal_(m.weight, std=0.02)
        with torch.no_grad():
            for m in self.modules():
                mixer = (m.token_mixer.reparam_conv if isinstance(m, RepMixerBlock)
                         else m.reparam_conv if isinstance(m, RepCPE) else None)
                if mixer is not None:
                    mixer.weight.normal_(0, 0.02)
                    kh, kw = mixer.weight.shape[2:]
                    mixer.weight[:, 0, kh // 2, kw // 2] += 1.0
                for name, p in m.named_parameters(recurse=False):
                    if name.startswith('layer_scale'):
                        p.fill_(layer_scale)
