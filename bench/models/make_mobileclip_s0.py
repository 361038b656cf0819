"""Builds a random-weight model with MobileCLIP-S0's architecture (mobileclip_modeling.py: image
encoder MCi0, 11.4M parameters, 256 px; text encoder MCt, 42.4M parameters, 77 tokens) in the
transformers.js layout, for benchmarks of a small edge model next to the ViT-B/32-shaped one:
onnx/vision_model.onnx (pixel_values -> image_embeds), onnx/text_model.onnx (input_ids with the
fixed context of 77 -> text_embeds; the model was trained on full-length, zero-padded sequences
without an attention mask), their q8 and fp16 variants, the CLIP tokenizer (MobileCLIP uses
OpenAI's), a CLIP-typed config.json and MobileCLIP's preprocessing (bilinear resize of the short side
to 256, centre crop, no normalisation). Weights: torch seed 0.

    /usr/bin/python3 bench/models/make_mobileclip_s0.py [OUT]   (default bench/.models/mobileclip-s0)
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
# hub_layout first: it says which Debian packages are missing before anything needs them.
from hub_layout import ROOT, export_with_variants, output_folder, write_json, write_tokenizer  # noqa: E402, I001
import clip_bpe  # noqa: E402
import torch  # noqa: E402
from mobileclip_modeling import S0, MobileCLIP  # noqa: E402

VERSION = 2  # 2: weights at a trained scale (mobileclip_modeling.MobileCLIP.randomize)


def main():
    out, onnx_dir = output_folder('mobileclip-s0')
    started = time.time()
    tokenizer = write_tokenizer(ROOT, out, pad_token='!')
    eos = tokenizer['model']['vocab'][clip_bpe.EOS]
    bos = tokenizer['model']['vocab'][clip_bpe.BOS]
    text = S0['text']
    write_json(os.path.join(out, 'config.json'), {
        'architectures': ['CLIPModel'], 'model_type': 'clip', 'projection_dim': S0['embed_dim'],
        'text_config': {'model_type': 'clip_text_model', 'vocab_size': text['vocab_size'], 'hidden_size': text['dim'],
                        'max_position_embeddings': text['context'], 'bos_token_id': bos, 'eos_token_id': eos,
                        'pad_token_id': 0},
        'vision_config': {'model_type': 'clip_vision_model', 'image_size': S0['image_size']},
        'descry': {'architecture': 'MobileCLIP-S0 (MCi0 + MCt), random weights', 'logit_scale': 100.0},
    }, indent=2)
    write_json(os.path.join(out, 'preprocessor_config.json'), {
        'image_processor_type': 'CLIPImageProcessor', 'do_resize': True, 'size': {'shortest_edge': S0['image_size']},
        'resample': 2, 'do_center_crop': True, 'crop_size': {'height': S0['image_size'], 'width': S0['image_size']},
        'do_rescale': True, 'rescale_factor': 1 / 255, 'do_normalize': False, 'do_convert_rgb': True,
    }, indent=2)

    torch.manual_seed(0)
    model = MobileCLIP()
    model.randomize()
    model.eval()
    ids = torch.zeros(2, text['context'], dtype=torch.long)
    ids[:, 0] = bos
    ids[0, 1:4] = torch.tensor([320, 1125, eos])
    ids[1, 1:3] = torch.tensor([1929, eos])
    pixels = torch.rand(2, 3, S0['image_size'], S0['image_size'])
    count = export_with_variants(model.text_encoder, (ids,), os.path.join(onnx_dir, 'text_model.onnx'),
                                 ['input_ids'], ['text_embeds'],
                                 {'input_ids': {0: 'batch_size'}, 'text_embeds': {0: 'batch_size'}})
    print(f'text_model: fp32, q8 ({count} MatMuls quantised), fp16 ({time.time() - started:.0f} s)')
    count = export_with_variants(model.image_encoder, (pixels,), os.path.join(onnx_dir, 'vision_model.onnx'),
                                 ['pixel_values'], ['image_embeds'],
                                 {'pixel_values': {0: 'batch_size'}, 'image_embeds': {0: 'batch_size'}})
    print(f'vision_model: fp32, q8 ({count} MatMuls quantised), fp16 ({time.time() - started:.0f} s)')
    parameters = {name: sum(p.numel() for p in part.parameters())
                  for name, part in (('image', model.image_encoder), ('text', model.text_encoder))}
    write_json(os.path.join(out, 'descry-bench.json'), {
        'generator': 'bench/models/make_mobileclip_s0.py', 'version': VERSION, 'architecture': 'MobileCLIP-S0',
        'parameters': parameters, 'seed': 0, 'weights': 'random',
    }, indent=2)
    print(f'{parameters} parameters; wrote {out} in {time.time() - started:.0f} s')


if __name__ == '__main__':
    main()
