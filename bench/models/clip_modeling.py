"""CLIPModel as Hugging Face transformers implements it (modeling_clip.py, 4.3x), written out here
because the `transformers` package is not available: the same module tree, parameter names and
tensor shapes, so that a state dict or an ONNX export of this module has the layout of a real
checkpoint (openai/clip-vit-base-patch32 when built with VIT_B32 below).

What is reproduced on purpose:
- pre-LN transformer blocks (layer_norm1 -> self_attn -> residual, layer_norm2 -> mlp -> residual),
  attention as transformers writes it (q scaled before the product, bmm over batch*heads), quick_gelu;
- text: token + learned position embeddings, causal mask plus the optional padding mask expanded
  with finfo.min, final_layer_norm, pooling at `input_ids.argmax(-1)` (the legacy path transformers
  takes when config.text_config.eos_token_id == 2, as it is for the OpenAI checkpoints: the end
  token has the largest id);
- vision: a bias-free patch convolution, a class embedding, learned position embeddings,
  `pre_layrnorm` (sic), encoder, `post_layernorm` on the class token;
- projections without bias and a scalar `logit_scale`.
"""
import math

import torch
import torch.nn as nn

VIT_B32 = {
    'projection_dim': 512,
    'text': dict(vocab_size=49408, hidden_size=512, intermediate_size=2048, num_hidden_layers=12,
                 num_attention_heads=8, max_position_embeddings=77, layer_norm_eps=1e-5),
    'vision': dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                   image_size=224, patch_size=32, num_channels=3, layer_norm_eps=1e-5),
}


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class CLIPAttention(nn.Module):
    def __init__(self, hidden_size, num_heads):
        super().__init__()
        self.embed_dim = hidden_size
        self.num_heads = num_heads
        self.head_dim = hidden_size // num_heads
        self.scale = self.head_dim ** -0.5
        self.k_proj = nn.Linear(hidden_size, hidden_size)
        self.v_proj = nn.Linear(hidden_size, hidden_size)
        self.q_proj = nn.Linear(hidden_size, hidden_size)
        self.out_proj = nn.Linear(hidden_size, hidden_size)

    def _shape(self, tensor, seq_len, bsz):
        return tensor.view(bsz, seq_len, self.num_heads, self.head_dim).transpose(1, 2).contiguous()

    def forward(self, hidden_states, attention_mask=None, causal_attention_mask=None):
        bsz, tgt_len, embed_dim = hidden_states.size()
        query_states = self.q_proj(hidden_states) * self.scale
        key_states = self._shape(self.k_proj(hidden_states), -1, bsz)
        value_states = self._shape(self.v_proj(hidden_states), -1, bsz)
        proj_shape = (bsz * self.num_heads, -1, self.head_dim)
        query_states = self._shape(query_states, tgt_len, bsz).view(*proj_shape)
        key_states = key_states.view(*proj_shape)
        value_states = value_states.view(*proj_shape)
        src_len = key_states.size(1)
        attn_weights = torch.bmm(query_states, key_states.transpose(1, 2))
        if causal_attention_mask is not None:
            attn_weights = attn_weights.view(bsz, self.num_heads, tgt_len, src_len) + causal_attention_mask
            attn_weights = attn_weights.view(bsz * self.num_heads, tgt_len, src_len)
        if attention_mask is not None:
            attn_weights = attn_weights.view(bsz, self.num_heads, tgt_len, src_len) + attention_mask
            attn_weights = attn_weights.view(bsz * self.num_heads, tgt_len, src_len)
        attn_weights = nn.functional.softmax(attn_weights, dim=-1)
        attn_output = torch.bmm(attn_weights, value_states)
        attn_output = attn_output.view(bsz, self.num_heads, tgt_len, self.head_dim)
        attn_output = attn_output.transpose(1, 2)
        attn_output = attn_output.reshape(bsz, tgt_len, embed_dim)
        return self.out_proj(attn_output)


class CLIPMLP(nn.Module):
    def __init__(self, hidden_size, intermediate_size):
        super().__init__()
        self.activation_fn = QuickGELU()
        self.fc1 = nn.Linear(hidden_size, intermediate_size)
        self.fc2 = nn.Linear(intermediate_size, hidden_size)

    def forward(self, x):
        return self.fc2(self.activation_fn(self.fc1(x)))


class CLIPEncoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = CLIPAttention(c['hidden_size'], c['num_attention_heads'])
        self.layer_norm1 = nn.LayerNorm(c['hidden_size'], eps=c['layer_norm_eps'])
        self.mlp = CLIPMLP(c['hidden_size'], c['intermediate_size'])
        self.layer_norm2 = nn.LayerNorm(c['hidden_size'], eps=c['layer_norm_eps'])

    def forward(self, hidden_states, attention_mask=None, causal_attention_mask=None):
        residual = hidden_states
        hidden_states = self.layer_norm1(hidden_states)
        hidden_states = self.self_attn(hidden_states, attention_mask, causal_attention_mask)
        hidden_states = residual + hidden_states
        residual = hidden_states
        hidden_states = self.layer_norm2(hidden_states)
        hidden_states = self.mlp(hidden_states)
        return residual + hidden_states


class CLIPEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.ModuleList([CLIPEncoderLayer(c) for _ in range(c['num_hidden_layers'])])

    def forward(self, hidden_states, attention_mask=None, causal_attention_mask=None):
        for layer in self.layers:
            hidden_states = layer(hidden_states, attention_mask, causal_attention_mask)
        return hidden_states


class CLIPTextEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.token_embedding = nn.Embedding(c['vocab_size'], c['hidden_size'])
        self.position_embedding = nn.Embedding(c['max_position_embeddings'], c['hidden_size'])
        self.register_buffer('position_ids', torch.arange(c['max_position_embeddings']).expand((1, -1)),
                             persistent=False)

    def forward(self, input_ids):
        seq_length = input_ids.shape[-1]
        position_ids = self.position_ids[:, :seq_length]
        return self.token_embedding(input_ids) + self.position_embedding(position_ids)


def _causal_mask(bsz, seq_len, dtype):
    mask = torch.empty(bsz, seq_len, seq_len, dtype=dtype)
    mask.fill_(torch.finfo(dtype).min)
    mask.triu_(1)
    return mask.unsqueeze(1)


def _expand_mask(mask, dtype, tgt_len):
    bsz, src_len = mask.size()
    expanded = mask[:, None, None, :].expand(bsz, 1, tgt_len, src_len).to(dtype)
    inverted = 1.0 - expanded
    return inverted.masked_fill(inverted.to(torch.bool), torch.finfo(dtype).min)


class CLIPTextTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = CLIPTextEmbeddings(c)
        self.encoder = CLIPEncoder(c)
        self.final_layer_norm = nn.LayerNorm(c['hidden_size'], eps=c['layer_norm_eps'])

    def forward(self, input_ids, attention_mask=None):
        bsz, seq_len = input_ids.size()
        hidden_states = self.embeddings(input_ids)
        causal = _causal_mask(bsz, seq_len, hidden_states.dtype)
        expanded = None if attention_mask is None else _expand_mask(attention_mask, hidden_states.dtype, seq_len)
        last_hidden_state = self.final_layer_norm(self.encoder(hidden_states, expanded, causal))
        pooled_output = last_hidden_state[
            torch.arange(last_hidden_state.shape[0]), input_ids.to(dtype=torch.int).argmax(dim=-1)]
        return last_hidden_state, pooled_output


class CLIPVisionEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_dim = c['hidden_size']
        self.class_embedding = nn.Parameter(torch.randn(self.embed_dim))
        self.patch_embedding = nn.Conv2d(c['num_channels'], self.embed_dim, kernel_size=c['patch_size'],
                                         stride=c['patch_size'], bias=False)
        self.num_patches = (c['image_size'] // c['patch_size']) ** 2
        self.num_positions = self.num_patches + 1
        self.position_embedding = nn.Embedding(self.num_positions, self.embed_dim)
        self.register_buffer('position_ids', torch.arange(self.num_positions).expand((1, -1)), persistent=False)

    def forward(self, pixel_values):
        batch_size = pixel_values.shape[0]
        patch_embeds = self.patch_embedding(pixel_values)
        patch_embeds = patch_embeds.flatten(2).transpose(1, 2)
        class_embeds = self.class_embedding.expand(batch_size, 1, -1)
        embeddings = torch.cat([class_embeds, patch_embeds], dim=1)
        return embeddings + self.position_embedding(self.position_ids)


class CLIPVisionTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = CLIPVisionEmbeddings(c)
        self.pre_layrnorm = nn.LayerNorm(c['hidden_size'], eps=c['layer_norm_eps'])
        self.encoder = CLIPEncoder(c)
        self.post_layernorm = nn.LayerNorm(c['hidden_size'], eps=c['layer_norm_eps'])

    def forward(self, pixel_values):
        hidden_states = self.pre_layrnorm(self.embeddings(pixel_values))
        last_hidden_state = self.encoder(hidden_states)
        pooled_output = self.post_layernorm(last_hidden_state[:, 0, :])
        return last_hidden_state, pooled_output


class CLIPModel(nn.Module):
    def __init__(self, config=VIT_B32, logit_scale=math.log(100.0)):
        super().__init__()
        self.config = config
        self.text_model = CLIPTextTransformer(config['text'])
        self.vision_model = CLIPVisionTransformer(config['vision'])
        self.visual_projection = nn.Linear(config['vision']['hidden_size'], config['projection_dim'], bias=False)
        self.text_projection = nn.Linear(config['text']['hidden_size'], config['projection_dim'], bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(float(logit_scale)))

    def init_weights(self, factor=1.0):
        """CLIPPreTrainedModel._init_weights: the scales a freshly initialised checkpoint has."""
        for module in self.modules():
            if isinstance(module, CLIPTextEmbeddings):
                nn.init.normal_(module.token_embedding.weight, std=factor * 0.02)
                nn.init.normal_(module.position_embedding.weight, std=factor * 0.02)
            elif isinstance(module, CLIPVisionEmbeddings):
                nn.init.normal_(module.class_embedding, std=module.embed_dim ** -0.5 * factor)
                nn.init.normal_(module.patch_embedding.weight, std=0.02 * factor)
                nn.init.normal_(module.position_embedding.weight, std=0.02 * factor)
            elif isinstance(module, CLIPAttention):
                layers = self._layers_of(module)
                in_std = (module.embed_dim ** -0.5) * ((2 * layers) ** -0.5) * factor
                out_std = (module.embed_dim ** -0.5) * factor
                for proj in (module.q_proj, module.k_proj, module.v_proj):
                    nn.init.normal_(proj.weight, std=in_std)
                nn.init.normal_(module.out_proj.weight, std=out_std)
            elif isinstance(module, CLIPMLP):
                hidden = module.fc1.in_features
                layers = self._layers_of(module)
                in_std = (hidden ** -0.5) * ((2 * layers) ** -0.5) * factor
                fc_std = (2 * hidden) ** -0.5 * factor
                nn.init.normal_(module.fc1.weight, std=fc_std)
                nn.init.normal_(module.fc2.weight, std=in_std)
            if isinstance(module, nn.LayerNorm):
                module.bias.data.zero_()
                module.weight.data.fill_(1.0)
            if isinstance(module, nn.Linear) and module.bias is not None:
                module.bias.data.zero_()
        nn.init.normal_(self.visual_projection.weight, std=self.config['vision']['hidden_size'] ** -0.5 * factor)
        nn.init.normal_(self.text_projection.weight, std=self.config['text']['hidden_size'] ** -0.5 * factor)

    def _layers_of(self, module):
        for tower in (self.text_model, self.vision_model):
            if any(m is module for m in tower.modules()):
                return len(tower.encoder.layers)
        raise ValueError('module outside the towers')

    def get_text_features(self, input_ids, attention_mask=None):
        return self.text_projection(self.text_model(input_ids, attention_mask)[1])

    def get_image_features(self, pixel_values):
        return self.visual_projection(self.vision_model(pixel_values)[1])

    def forward(self, input_ids, pixel_values, attention_mask=None):
        image_embeds = self.get_image_features(pixel_values)
        text_embeds = self.get_text_features(input_ids, attention_mask)
        image_embeds = image_embeds / image_embeds.norm(p=2, dim=-1, keepdim=True)
        text_embeds = text_embeds / text_embeds.norm(p=2, dim=-1, keepdim=True)
        logits_per_text = torch.matmul(text_embeds, image_embeds.t()) * self.logit_scale.exp()
        return logits_per_text.t(), logits_per_text, text_embeds, image_embeds


class CLIPTextModelWithProjection(nn.Module):
    """The text half as transformers.js loads it (onnx/text_model.onnx): text_embeds (not normalised)."""

    def __init__(self, clip):
        super().__init__()
        self.text_model = clip.text_model
        self.text_projection = clip.text_projection

    def forward(self, input_ids):
        last_hidden_state, pooled = self.text_model(input_ids)
        return self.text_projection(pooled), last_hidden_state


class CLIPVisionModelWithProjection(nn.Module):
    """The vision half as transformers.js loads it (onnx/vision_model.onnx): image_embeds (not normalised)."""

    def __init__(self, clip):
        super().__init__()
        self.vision_model = clip.vision_model
        self.visual_projection = clip.visual_projection

    def forward(self, pixel_values):
        last_hidden_state, pooled = self.vision_model(pixel_values)
        return self.visual_projection(pooled), last_hidden_state
