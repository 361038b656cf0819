"""Exports the trained checkpoint to the HF / transformers.js CLIP layout in models/emoji-clip/."""
import json, math, os, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import onnx
sys.path.insert(0, os.path.dirname(__file__))
import model as M
from model import EmojiCLIP, MEAN, STD
from captions import DATA, MODEL

M.FAST_LINEAR = False
OPSET = 14
OUT = MODEL
CKPT = os.environ.get('CKPT', os.path.join(DATA, 'emoji-clip.pt'))


class TextModel(nn.Module):  # == CLIPTextModelWithProjection: text_embeds, not normalised
    def __init__(self, m):
        super().__init__(); self.m = m

    def forward(self, input_ids, attention_mask):
        return self.m.text(input_ids, attention_mask)


class VisionModel(nn.Module):  # == CLIPVisionModelWithProjection: image_embeds, not normalised
    def __init__(self, m):
        super().__init__(); self.m = m

    def forward(self, pixel_values):
        return self.m.visual(pixel_values)


class CLIPModel(nn.Module):  # == CLIPModel: logits from normalised embeddings; embeds returned normalised
    def __init__(self, m, scale):
        super().__init__(); self.m = m; self.scale = scale

    def forward(self, input_ids, pixel_values, attention_mask):
        t = F.normalize(self.m.text(input_ids, attention_mask), dim=-1)
        v = F.normalize(self.m.visual(pixel_values), dim=-1)
        logits_per_text = self.scale * (t @ v.t())
        return logits_per_text.t(), logits_per_text, t, v


def main():
    ck = torch.load(CKPT)
    cfg = ck['cfg']
    m = EmojiCLIP(ck['vocab_size'], cfg)
    m.load_state_dict(ck['state'])
    m.eval()
    scale = float(m.logit_scale.exp().clamp(max=100))
    S = cfg['image_size']
    tok = json.load(open(os.path.join(OUT, 'tokenizer.json')))
    vocab = tok['model']['vocab']
    bos, eos = vocab['<|startoftext|>'], vocab['<|endoftext|>']
    os.makedirs(os.path.join(OUT, 'onnx'), exist_ok=True)
    ids = torch.tensor([[bos, 5, 6, 7, eos, eos], [bos, 8, 9, eos, eos, eos]], dtype=torch.long)
    mask = torch.tensor([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0]], dtype=torch.long)
    px = torch.randn(3, 3, S, S)
    kw = dict(opset_version=OPSET, do_constant_folding=True)
    with torch.no_grad():
        torch.onnx.export(TextModel(m).eval(), (ids, mask), os.path.join(OUT, 'onnx', 'text_model.onnx'),
                          input_names=['input_ids', 'attention_mask'], output_names=['text_embeds'],
                          dynamic_axes={'input_ids': {0: 'batch_size', 1: 'sequence_length'},
                                        'attention_mask': {0: 'batch_size', 1: 'sequence_length'},
                                        'text_embeds': {0: 'batch_size'}}, **kw)
        torch.onnx.export(VisionModel(m).eval(), (px,), os.path.join(OUT, 'onnx', 'vision_model.onnx'),
                          input_names=['pixel_values'], output_names=['image_embeds'],
                          dynamic_axes={'pixel_values': {0: 'batch_size'}, 'image_embeds': {0: 'batch_size'}}, **kw)
        torch.onnx.export(CLIPModel(m, scale).eval(), (ids, px, mask), os.path.join(OUT, 'onnx', 'model.onnx'),
                          input_names=['input_ids', 'pixel_values', 'attention_mask'],
                          output_names=['logits_per_image', 'logits_per_text', 'text_embeds', 'image_embeds'],
                          dynamic_axes={'input_ids': {0: 'text_batch_size', 1: 'sequence_length'},
                                        'attention_mask': {0: 'text_batch_size', 1: 'sequence_length'},
                                        'pixel_values': {0: 'image_batch_size'},
                                        'logits_per_image': {0: 'image_batch_size', 1: 'text_batch_size'},
                                        'logits_per_text': {0: 'text_batch_size', 1: 'image_batch_size'},
                                        'text_embeds': {0: 'text_batch_size'}, 'image_embeds': {0: 'image_batch_size'}}, **kw)
        for f in ('text_model', 'vision_model', 'model'):
            onnx.checker.check_model(onnx.load(os.path.join(OUT, 'onnx', f + '.onnx')))
        m.eval()  # torch.onnx.export restores the wrappers' (train) mode recursively
        # reference outputs for the Node-side parity check
        ref = {'input_ids': ids.tolist(), 'attention_mask': mask.tolist(), 'pixel_values': px.flatten().tolist(),
               'pixel_shape': list(px.shape), 'text_embeds': m.text(ids, mask).tolist(),
               'image_embeds': m.visual(px).tolist()}
        json.dump(ref, open(os.path.join(DATA, 'export-reference.json'), 'w'))

    n_text = sum(p.numel() for p in m.text.parameters())
    n_vis = sum(p.numel() for p in m.visual.parameters())
    config = {
        'architectures': ['CLIPModel'],
        'model_type': 'clip',
        'projection_dim': cfg['embed_dim'],
        'logit_scale_init_value': round(math.log(1 / 0.07), 4),
        'initializer_factor': 1.0,
        'text_config': {
            'model_type': 'clip_text_model', 'vocab_size': ck['vocab_size'], 'hidden_size': cfg['text_width'],
            'intermediate_size': cfg['text_mlp'], 'num_attention_heads': cfg['text_heads'],
            'num_hidden_layers': cfg['text_layers'], 'max_position_embeddings': cfg['context'],
            'hidden_act': 'gelu', 'layer_norm_eps': 1e-5, 'projection_dim': cfg['embed_dim'],
            'bos_token_id': bos, 'eos_token_id': eos, 'pad_token_id': eos,
        },
        'vision_config': {
            'model_type': 'clip_vision_model', 'image_size': S, 'num_channels': 3,
            'hidden_size': m.visual.hidden_size, 'projection_dim': cfg['embed_dim'],
            'descry_architecture': 'resnet-cnn', 'widths': cfg['vision_widths'],
        },
        'torch_dtype': 'float32',
        'descry': {
            'logit_scale': round(scale, 4),
            'name': 'emoji-clip',
            'text_pooling': 'causal transformer, pooled at position sum(attention_mask)-1',
            'vision_tower': 'residual CNN, global average pooled',
            'parameters': {'text': n_text, 'vision': n_vis, 'total': n_text + n_vis + 1},
            'train_minutes': round(ck.get('train_minutes', 0), 1), 'train_steps': ck.get('steps'),
            'snapshot_step': ck.get('snapshot_step', ck.get('steps')),
            'selection': {k: round(float(v), 4) for k, v in ck.get('val', {}).items()},
            'prompt': 'an emoji of {}',
        },
    }
    json.dump(config, open(os.path.join(OUT, 'config.json'), 'w'), indent=2)
    pre = {
        'crop_size': {'height': S, 'width': S}, 'do_center_crop': True, 'do_convert_rgb': True,
        'do_normalize': True, 'do_rescale': True, 'do_resize': True,
        'feature_extractor_type': 'CLIPFeatureExtractor', 'image_processor_type': 'CLIPImageProcessor',
        'image_mean': list(MEAN), 'image_std': list(STD), 'resample': 3, 'rescale_factor': 1 / 255,
        'size': {'shortest_edge': S},
    }
    json.dump(pre, open(os.path.join(OUT, 'preprocessor_config.json'), 'w'), indent=2)
    sizes = {f: os.path.getsize(os.path.join(OUT, 'onnx', f)) for f in os.listdir(os.path.join(OUT, 'onnx'))}
    print('exported', sizes, 'logit_scale', scale)


if __name__ == '__main__':
    main()
