"""SiglipModel as Hugging Face transformers implements it (modeling_siglip.py, 4.4x), written out here
because the `transformers` package is not available: the same module tree, parameter names and
tensor shapes, so that an ONNX export has the layout of a real checkpoint (google/siglip-base-patch16-224
when built with BASE below).

What is reproduced on purpose (Zhai et al., "Sigmoid Loss for Language Image Pre-Training", ICCV 2023,
arXiv 2303.15343, and the checkpoints' configuration):
- pre-LN transformer layers (layer_norm1 -> self_attn -> residual, layer_norm2 -> mlp -> residual),
  GELU with the tanh approximation, attention with q, k, v and out projections that have biases;
- vision: a patch convolution with bias (kernel = stride = patch size), learned position embeddings,
  no class token, post_layernorm, and the MAP head (SiglipMultiheadAttentionPoolingHead): a learned
  probe attends over the patches with torch's nn.MultiheadAttention, then LayerNorm and an MLP with
  a residual; pooler_output is the probe's output;
- text: token and learned position embeddings, no causal mask (SigLIP's text tower is bidirectional,
  unlike CLIP's), final_layer_norm, pooling at the LAST position (sequences are padded to max_length,
  so that is a pad token), then a linear head;
- scoring: logits = exp(logit_scale) * normalize(text) . normalize(image) + logit_bias, per pair,
  read with a sigmoid (not a softmax over the labels).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

BASE = {
    'text': dict(vocab_size=32000, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                 num_attention_heads=12, max_position_embeddings=64, layer_norm_eps=1e-6),
    'vision': dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                   num_channels=3, image_size=224, patch_size=16, layer_norm_eps=1e-6),
}

# The same architecture, narrow and shallow: what the parity tests generate in seconds.
TINY = {
    'text': dict(vocab_size=32000, hidden_size=64, intermediate_size=256, num_hidden_layers=2,
                 num_attention_heads=4, max_position_embeddings=64, layer_norm_eps=1e-6),
    'vision': dict(hidden_size=64, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4,
                   num_channels=3, image_size=224, patch_size=16, layer_norm_eps=1e-6),
}


class SiglipAttention(nn.Module):
    def __init__(self, hidden_size, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = hidden_size // num_heads
        self.scale = self.head_dim ** -0.5
        self.k_proj = nn.Linear(hidden_size, hidden_size)
        self.v_proj = nn.Linear(hidden_size, hidden_size)
        self.q_proj = nn.Linear(hidden_size, hidden_size)
        self.out_proj = nn.Linear(hidden_size, hidden_size)

    def forward(self, x):
        b, n, d = x.shape

        def heads(t):
            return t.view(b, n, self.num_heads, self.head_dim).transpose(1, 2)

        q, k, v = heads(self.q_proj(x)), heads(self.k_proj(x)), heads(self.v_proj(x))
        weights = torch.softmax(torch.matmul(q, k.transpose(2, 3)) * self.scale, dim=-1)
        out = torch.matmul(weights, v).transpose(1, 2).reshape(b, n, d)
        return self.out_proj(out)


class SiglipMLP(nn.Module):
    def __init__(self, hidden_size, intermediate_size):
        super().__init__()
        self.fc1 = nn.Linear(hidden_size, intermediate_size)
        self.fc2 = nn.Linear(intermediate_size, hidden_size)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate='tanh'))


class SiglipEncoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = SiglipAttention(c['hidden_size'], c['num_attention_heads'])
        self.layer_norm1 = nn.LayerNorm(c['hidden_size'], eps=c['layer_norm_eps'])
        self.mlp = SiglipMLP(c['hidden_size'], c['intermediate_size'])
        self.layer_norm2 = nn.LayerNorm(c['hidden_size'], eps=c['layer_norm_eps'])

    def forward(self, x):
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class SiglipEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.ModuleList([SiglipEncoderLayer(c) for _ in range(c['num_hidden_layers'])])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class SiglipVisionEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.patch_embedding = nn.Conv2d(c['num_channels'], c['hidden_size'], kernel_size=c['patch_size'],
                                         stride=c['patch_size'], padding=0)  # transformers: 'valid', the same
        self.num_patches = (c['image_size'] // c['patch_size']) ** 2
        self.position_embedding = nn.Embedding(self.num_patches, c['hidden_size'])
        self.register_buffer('position_ids', torch.arange(self.num_patches).expand((1, -1)), persistent=False)

    def forward(self, pixel_values):
        patches = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)
        return patches + self.position_embedding(self.position_ids)


class SiglipMultiheadAttentionPoolingHead(nn.Module):
    """MAP: one learned query attends over the patch tokens."""

    def __init__(self, c):
        super().__init__()
        self.probe = nn.Parameter(torch.randn(1, 1, c['hidden_size']))
        self.attention = nn.MultiheadAttention(c['hidden_size'], c['num_attention_heads'], batch_first=True)
        self.layernorm = nn.LayerNorm(c['hidden_size'], eps=c['layer_norm_eps'])
        self.mlp = SiglipMLP(c['hidden_size'], c['intermediate_size'])

    def forward(self, hidden_state):
        probe = self.probe.repeat(hidden_state.shape[0], 1, 1)
        hidden_state = self.attention(probe, hidden_state, hidden_state, need_weights=False)[0]
        hidden_state = hidden_state + self.mlp(self.layernorm(hidden_state))
        return hidden_state[:, 0]


class SiglipVisionTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = SiglipVisionEmbeddings(c)
        self.encoder = SiglipEncoder(c)
        self.post_layernorm = nn.LayerNorm(c['hidden_size'], eps=c['layer_norm_eps'])
        self.head = SiglipMultiheadAttentionPoolingHead(c)

    def forward(self, pixel_values):
        last_hidden_state = self.post_layernorm(self.encoder(self.embeddings(pixel_values)))
        return last_hidden_state, self.head(last_hidden_state)


class SiglipTextEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.token_embedding = nn.Embedding(c['vocab_size'], c['hidden_size'])
        self.position_embedding = nn.Embedding(c['max_position_embeddings'], c['hidden_size'])
        self.register_buffer('position_ids', torch.arange(c['max_position_embeddings']).expand((1, -1)),
                             persistent=False)

    def forward(self, input_ids):
        return self.token_embedding(input_ids) + self.position_embedding(self.position_ids[:, :input_ids.shape[-1]])


class SiglipTextTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = SiglipTextEmbeddings(c)
        self.encoder = SiglipEncoder(c)
        self.final_layer_norm = nn.LayerNorm(c['hidden_size'], eps=c['layer_norm_eps'])
        self.head = nn.Linear(c['hidden_size'], c['hidden_size'])

    def forward(self, input_ids):
        last_hidden_state = self.final_layer_norm(self.encoder(self.embeddings(input_ids)))
        return last_hidden_state, self.head(last_hidden_state[:, -1, :])


class SiglipTextModel(nn.Module):
    """onnx/text_model.onnx: input_ids -> last_hidden_state, pooler_output (not normalised)."""

    def __init__(self, siglip):
        super().__init__()
        self.text_model = siglip.text_model

    def forward(self, input_ids):
        return self.text_model(input_ids)


class SiglipVisionModel(nn.Module):
    """onnx/vision_model.onnx: pixel_values -> last_hidden_state, pooler_output (not normalised)."""

    def __init__(self, siglip):
        super().__init__()
        self.vision_model = siglip.vision_model

    def forward(self, pixel_values):
        return self.vision_model(pixel_values)


class SiglipModel(nn.Module):
    def __init__(self, config=BASE, logit_scale=math.log(10.0), logit_bias=-10.0):
        super().__init__()
        self.config = config
        self.text_model = SiglipTextTransformer(config['text'])
        self.vision_model = SiglipVisionTransformer(config['vision'])
        self.logit_scale = nn.Parameter(torch.tensor(float(logit_scale)))
        self.logit_bias = nn.Parameter(torch.tensor(float(logit_bias)))

    def init_weights(self):
        """SiglipPreTrainedModel._init_weights' scales: what a freshly initialised checkpoint has."""
        for module in self.modules():
            if isinstance(module, SiglipVisionEmbeddings):
                width = module.position_embedding.weight.shape[1]
                nn.init.normal_(module.position_embedding.weight, std=1 / math.sqrt(width))
            elif isinstance(module, nn.Embedding):
                nn.init.normal_(module.weight, std=0.02)
            elif isinstance(module, SiglipAttention):
                for proj in (module.q_proj, module.k_proj, module.v_proj, module.out_proj):
                    nn.init.xavier_uniform_(proj.weight)
                    nn.init.zeros_(proj.bias)
            elif isinstance(module, SiglipMLP):
                nn.init.xavier_uniform_(module.fc1.weight)
                nn.init.xavier_uniform_(module.fc2.weight)
                nn.init.normal_(module.fc1.bias, std=1e-6)
                nn.init.normal_(module.fc2.bias, std=1e-6)
            elif isinstance(module, SiglipMultiheadAttentionPoolingHead):
                nn.init.xavier_uniform_(module.probe.data)
                nn.init.xavier_uniform_(module.attention.in_proj_weight.data)
                nn.init.zeros_(module.attention.in_proj_bias.data)
            elif isinstance(module, nn.Conv2d):
                fan_in = module.weight[0].numel()
                nn.init.trunc_normal_(module.weight, std=math.sqrt(1 / fan_in))
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        nn.init.xavier_uniform_(self.text_model.head.weight)
        nn.init.zeros_(self.text_model.head.bias)

    def forward(self, input_ids, pixel_values):
        image_embeds = self.vision_model(pixel_values)[1]
        text_embeds = self.text_model(input_ids)[1]
        image_embeds = image_embeds / image_embeds.norm(p=2, dim=-1, keepdim=True)
        text_embeds = text_embeds / text_embeds.norm(p=2, dim=-1, keepdim=True)
        logits_per_text = torch.matmul(text_embeds, image_embeds.t()) * self.logit_scale.exp() + self.logit_bias
        return logits_per_text.t(), logits_per_text, text_embeds, image_embeds
