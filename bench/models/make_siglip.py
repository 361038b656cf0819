"""Builds a random-weight model with SigLIP's architecture (siglip_modeling.py) in the transformers.js
layout: google/siglip-base-patch16-224's shapes by default (203M parameters), or `--size tiny` (the same
architecture, 64 wide and 2 layers deep, for tests). Files: config.json (model_type "siglip", the
towers' configs, and the logit scale and bias in a `descry` block, which is where Descry reads them;
transformers.js reads them from onnx/model.onnx, whose graph holds them), preprocessor_config.json
(SiglipImageProcessor: bicubic resize to 224x224, no crop, mean and std 0.5), a Unigram tokenizer
(siglip_unigram.py: ids <pad> 0, </s> 1, <unk> 2, `max_length` padding to 64 with </s>), and
onnx/text_model.onnx (input_ids -> last_hidden_state, pooler_output), onnx/vision_model.onnx
(pixel_values -> last_hidden_state, pooler_output) and onnx/model.onnx (input_ids, pixel_values ->
logits_per_image, logits_per_text, text_embeds, image_embeds), which transformers.js's
zero-shot-image-classification pipeline runs; base also gets the q8 and fp16 variants (onnx_variants.py).
Exports follow Xenova/siglip-base-patch16-224: opset 14, no attention mask (SigLIP's text tower reads
the padded sequence whole), dynamic batch axes.

Weights: SigLIP's initialisation (SiglipPreTrainedModel._init_weights' scales), torch seed 0. The logit
scale is SigLIP's initial log(10); the logit bias is set so that the median logit of a probe set
(the 32 first emoji class names as "a photo of a {}." against 4 noise images) is 0, since random
towers put nearly every cosine at one value and SigLIP's initial bias of -10 would make every
probability ~5e-5: with this bias the probabilities spread over (0, 1), which is what a parity test
of probabilities needs. The bias stays a constant of the model (in the graph and in config.json).

    /usr/bin/python3 bench/models/make_siglip.py [OUT] [--size base|tiny]
        (default OUT bench/.models/siglip-base-patch16-224, or bench/.models/siglip-tiny)
"""
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
# hub_layout first: it says which Debian packages are missing before anything needs them.
from hub_layout import OPSET, ROOT, export_with_variants, write_json  # noqa: E402, I001
import onnx  # noqa: E402
import torch  # noqa: E402
import siglip_unigram  # noqa: E402
from siglip_modeling import BASE, TINY, SiglipModel, SiglipTextModel, SiglipVisionModel  # noqa: E402

VERSION = 1
MEAN = STD = [0.5, 0.5, 0.5]


def tower_config(kind, c):
    common = {'hidden_size': c['hidden_size'], 'intermediate_size': c['intermediate_size'],
              'num_hidden_layers': c['num_hidden_layers'], 'num_attention_heads': c['num_attention_heads'],
              'layer_norm_eps': c['layer_norm_eps'], 'hidden_act': 'gelu_pytorch_tanh', 'attention_dropout': 0.0}
    if kind == 'text':
        return {**common, 'model_type': 'siglip_text_model', 'vocab_size': c['vocab_size'],
                'max_position_embeddings': c['max_position_embeddings'], 'pad_token_id': 1, 'bos_token_id': 49406,
                'eos_token_id': 1}
    return {**common, 'model_type': 'siglip_vision_model', 'image_size': c['image_size'], 'patch_size': c['patch_size'],
            'num_channels': c['num_channels']}


def export(module, args, path, inputs, outputs, axes, variants):
    if variants:
        return export_with_variants(module, args, path, inputs, outputs, axes)
    with torch.no_grad():
        torch.onnx.export(module, args, path, opset_version=OPSET, do_constant_folding=True,
                          input_names=inputs, output_names=outputs, dynamic_axes=axes)
    onnx.checker.check_model(path)
    return 0


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    size = sys.argv[sys.argv.index('--size') + 1] if '--size' in sys.argv else 'base'
    if size not in ('base', 'tiny'):
        sys.exit('--size is base or tiny')
    if '--size' in sys.argv:
        args = [a for a in args if a != size]
    config = BASE if size == 'base' else TINY
    name = 'siglip-base-patch16-224' if size == 'base' else 'siglip-tiny'
    out = os.path.abspath(args[0] if args else os.path.join(ROOT, 'bench', '.models', name))
    onnx_dir = os.path.join(out, 'onnx')
    os.makedirs(onnx_dir, exist_ok=True)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    started = time.time()

    text, vision = config['text'], config['vision']
    tokenizer, tokenizer_config, special_tokens_map = siglip_unigram.build(ROOT, text['vocab_size'],
                                                                           text['max_position_embeddings'])
    write_json(os.path.join(out, 'tokenizer.json'), tokenizer, ensure_ascii=False, separators=(',', ':'))
    write_json(os.path.join(out, 'tokenizer_config.json'), tokenizer_config, indent=2)
    write_json(os.path.join(out, 'special_tokens_map.json'), special_tokens_map, indent=2)
    print(f'tokenizer: {len(tokenizer["model"]["vocab"])} pieces ({time.time() - started:.0f} s)')

    torch.manual_seed(0)
    model = SiglipModel(config)
    model.init_weights()
    model.eval()
    pieces = {piece: i for i, (piece, _) in enumerate(tokenizer['model']['vocab'])}

    def ids_of(texts):
        """Token ids as the tokenizer makes them (Viterbi over the pieces), padded with </s> to max_length."""
        rows = []
        for t in texts:
            row = []
            for word in t.lower().split():
                row += viterbi(siglip_unigram.SPACE + word, tokenizer['model']['vocab'], pieces)
            row = (row + [1])[:text['max_position_embeddings']]
            rows.append(row + [1] * (text['max_position_embeddings'] - len(row)))
        return torch.tensor(rows, dtype=torch.long)

    classes = [c['name'] for c in json.load(open(os.path.join(ROOT, 'tests', 'fixtures', 'emoji-classes.json')))][:32]
    probe_ids = ids_of([f'a photo of a {c}.' for c in classes])
    probe_pixels = torch.rand(4, 3, vision['image_size'], vision['image_size']) * 2 - 1
    with torch.no_grad():
        _, logits_per_text, _, _ = model(probe_ids, probe_pixels)
        model.logit_bias.fill_(float(model.logit_bias) - float(logits_per_text.median()))
    scale, bias = math.exp(float(model.logit_scale)), float(model.logit_bias)

    write_json(os.path.join(out, 'config.json'), {
        'architectures': ['SiglipModel'], 'model_type': 'siglip', 'initializer_factor': 1.0,
        'text_config': tower_config('text', text), 'vision_config': tower_config('vision', vision),
        'torch_dtype': 'float32',
        'descry': {'architecture': f'SigLIP ({size}), random weights', 'logit_scale': scale, 'logit_bias': bias},
    }, indent=2)
    write_json(os.path.join(out, 'preprocessor_config.json'), {
        'image_processor_type': 'SiglipImageProcessor', 'processor_class': 'SiglipProcessor', 'do_resize': True,
        'size': {'height': vision['image_size'], 'width': vision['image_size']}, 'resample': 3,
        'do_rescale': True, 'rescale_factor': 1 / 255, 'do_normalize': True, 'image_mean': MEAN, 'image_std': STD,
    }, indent=2)

    variants = size == 'base'
    ids = probe_ids[:2]
    pixels = probe_pixels[:2]
    export(SiglipTextModel(model).eval(), (ids,), os.path.join(onnx_dir, 'text_model.onnx'), ['input_ids'],
           ['last_hidden_state', 'pooler_output'],
           {'input_ids': {0: 'batch_size', 1: 'sequence_length'}, 'last_hidden_state': {0: 'batch_size', 1: 'sequence_length'},
            'pooler_output': {0: 'batch_size'}}, variants)
    export(SiglipVisionModel(model).eval(), (pixels,), os.path.join(onnx_dir, 'vision_model.onnx'), ['pixel_values'],
           ['last_hidden_state', 'pooler_output'],
           {'pixel_values': {0: 'batch_size'}, 'last_hidden_state': {0: 'batch_size'}, 'pooler_output': {0: 'batch_size'}},
           variants)
    export(model, (ids, pixels), os.path.join(onnx_dir, 'model.onnx'), ['input_ids', 'pixel_values'],
           ['logits_per_image', 'logits_per_text', 'text_embeds', 'image_embeds'],
           {'input_ids': {0: 'text_batch_size', 1: 'sequence_length'}, 'pixel_values': {0: 'image_batch_size'},
            'logits_per_image': {0: 'image_batch_size', 1: 'text_batch_size'},
            'logits_per_text': {0: 'text_batch_size', 1: 'image_batch_size'},
            'text_embeds': {0: 'text_batch_size'}, 'image_embeds': {0: 'image_batch_size'}}, variants)
    params = sum(p.numel() for p in model.parameters())
    write_json(os.path.join(out, 'descry-bench.json'), {
        'generator': 'bench/models/make_siglip.py', 'version': VERSION, 'architecture': f'SigLIP ({size})',
        'parameters': params, 'seed': 0, 'weights': 'random (SigLIP initialisation), logit bias centred',
        'logit_scale': scale, 'logit_bias': bias,
    }, indent=2)
    print(f'{params} parameters, logit scale {scale:.3f}, bias {bias:.3f}; wrote {out} in {time.time() - started:.0f} s')


def viterbi(word, vocab, pieces):
    """The Unigram segmentation of one "▁"-prefixed word: the split with the highest total score."""
    best = [(0.0, [])] + [(-math.inf, [])] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - siglip_unigram.MAX_PIECE), end):
            piece = pieces.get(word[start:end])
            if piece is None or best[start][0] == -math.inf:
                continue
            score = best[start][0] + vocab[piece][1]
            if score > best[end][0]:
                best[end] = (score, best[start][1] + [piece])
    return best[-1][1] if best[-1][0] > -math.inf else [2]


if __name__ == '__main__':
    main()
