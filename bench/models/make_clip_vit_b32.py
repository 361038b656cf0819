"""Builds a random-weight model with the exact architecture, parameter names and tensor shapes of
openai/clip-vit-base-patch32 (151,277,313 parameters) in the transformers.js layout, for benchmarks
at real model size: config.json and preprocessor_config.json as the hub has them, a CLIP-convention
tokenizer with a 49,408-token vocabulary (clip_bpe.py), onnx/{text_model,vision_model,model}.onnx and
their `_quantized` (q8) and `_fp16` variants (onnx_variants.py).

The exports follow Xenova/clip-vit-base-patch32: text_model.onnx is CLIPTextModelWithProjection
(input_ids -> text_embeds, last_hidden_state), vision_model.onnx is CLIPVisionModelWithProjection
(pixel_values -> image_embeds, last_hidden_state), model.onnx is CLIPModel (input_ids, pixel_values,
attention_mask -> logits_per_image, logits_per_text, text_embeds, image_embeds), opset 14, dynamic
batch and sequence axes. Weights: transformers' initialisation with torch seed 0; logit_scale is
set to CLIP's trained value ln(100) so that probabilities look like a trained model's.

    /usr/bin/python3 bench/models/make_clip_vit_b32.py [OUT]   (default bench/.models/clip-vit-base-patch32)

Needs Debian's python3-torch, python3-onnx and python3-numpy (see DEVELOPERS.md); about 3 minutes and
3 GB of memory on 2 cores; writes 1.6 GB.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
# hub_layout first: it says which Debian packages are missing before anything needs them.
from hub_layout import ROOT, export_with_variants, output_folder, write_json, write_tokenizer  # noqa: E402, I001
import clip_bpe  # noqa: E402
import torch  # noqa: E402
from clip_modeling import VIT_B32, CLIPModel, CLIPTextModelWithProjection, CLIPVisionModelWithProjection  # noqa: E402

VERSION = 1
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]


def tower_config(kind, c):
    """The text_config / vision_config blocks as the hub's config.json writes them (transformers 4.16)."""
    common = {
        '_name_or_path': '', 'add_cross_attention': False, 'architectures': None, 'attention_dropout': 0.0,
        'bad_words_ids': None, 'chunk_size_feed_forward': 0, 'cross_attention_hidden_size': None,
        'decoder_start_token_id': None, 'diversity_penalty': 0.0, 'do_sample': False, 'dropout': 0.0,
        'early_stopping': False, 'encoder_no_repeat_ngram_size': 0, 'finetuning_task': None,
        'forced_bos_token_id': None, 'forced_eos_token_id': None, 'gradient_checkpointing': False,
        'hidden_act': 'quick_gelu', 'hidden_size': c['hidden_size'], 'id2label': {'0': 'LABEL_0', '1': 'LABEL_1'},
        'initializer_factor': 1.0, 'initializer_range': 0.02, 'intermediate_size': c['intermediate_size'],
        'is_decoder': False, 'is_encoder_decoder': False, 'label2id': {'LABEL_0': 0, 'LABEL_1': 1},
        'layer_norm_eps': c['layer_norm_eps'], 'length_penalty': 1.0, 'max_length': 20, 'min_length': 0,
        'no_repeat_ngram_size': 0, 'num_attention_heads': c['num_attention_heads'], 'num_beam_groups': 1,
        'num_beams': 1, 'num_hidden_layers': c['num_hidden_layers'], 'num_return_sequences': 1,
        'output_attentions': False, 'output_hidden_states': False, 'output_scores': False, 'prefix': None,
        'problem_type': None, 'projection_dim': VIT_B32['projection_dim'], 'pruned_heads': {},
        'remove_invalid_values': False, 'repetition_penalty': 1.0, 'return_dict': True,
        'return_dict_in_generate': False, 'sep_token_id': None, 'task_specific_params': None, 'temperature': 1.0,
        'tie_encoder_decoder': False, 'tie_word_embeddings': True, 'tokenizer_class': None, 'top_k': 50,
        'top_p': 1.0, 'torch_dtype': None, 'torchscript': False, 'transformers_version': '4.16.0.dev0',
        'use_bfloat16': False,
    }
    if kind == 'text':
        common.update(bos_token_id=0, eos_token_id=2, pad_token_id=1, model_type='clip_text_model',
                      max_position_embeddings=c['max_position_embeddings'], vocab_size=c['vocab_size'])
    else:
        common.update(bos_token_id=None, eos_token_id=None, pad_token_id=None, model_type='clip_vision_model',
                      image_size=c['image_size'], patch_size=c['patch_size'], num_channels=c['num_channels'])
    return dict(sorted(common.items()))


def hub_configs():
    config = {
        '_name_or_path': 'openai/clip-vit-base-patch32',
        'architectures': ['CLIPModel'],
        'initializer_factor': 1.0,
        'logit_scale_init_value': 2.6592,
        'model_type': 'clip',
        'projection_dim': VIT_B32['projection_dim'],
        'text_config': tower_config('text', VIT_B32['text']),
        'text_config_dict': None,
        'torch_dtype': 'float32',
        'transformers_version': None,
        'vision_config': tower_config('vision', VIT_B32['vision']),
        'vision_config_dict': None,
    }
    preprocessor = {
        'crop_size': 224, 'do_center_crop': True, 'do_normalize': True, 'do_resize': True,
        'feature_extractor_type': 'CLIPFeatureExtractor', 'image_mean': MEAN, 'image_std': STD,
        'resample': 3, 'size': 224,
    }
    return config, preprocessor


def main():
    out, onnx_dir = output_folder('clip-vit-base-patch32')
    started = time.time()

    tokenizer = write_tokenizer(ROOT, out)
    config, preprocessor = hub_configs()
    write_json(os.path.join(out, 'config.json'), config, indent=2)
    write_json(os.path.join(out, 'preprocessor_config.json'), preprocessor, indent=2)
    print(f'tokenizer: {len(tokenizer["model"]["vocab"])} tokens ({time.time() - started:.0f} s)')

    torch.manual_seed(0)
    clip = CLIPModel()
    clip.init_weights()
    clip.eval()
    params = sum(p.numel() for p in clip.parameters())
    bos, eos = tokenizer['model']['vocab'][clip_bpe.BOS], tokenizer['model']['vocab'][clip_bpe.EOS]
    ids = torch.tensor([[bos, 320, 1125, 539, eos, eos], [bos, 1929, eos, eos, eos, eos]], dtype=torch.long)
    mask = (torch.arange(6)[None, :] <= ids.argmax(-1)[:, None]).long()
    pixels = torch.randn(2, 3, 224, 224)

    files = {
        'text_model': lambda path: export_with_variants(
            CLIPTextModelWithProjection(clip).eval(), (ids,), path, ['input_ids'], ['text_embeds', 'last_hidden_state'],
            {'input_ids': {0: 'batch_size', 1: 'sequence_length'}, 'text_embeds': {0: 'batch_size'},
             'last_hidden_state': {0: 'batch_size', 1: 'sequence_length'}}),
        'vision_model': lambda path: export_with_variants(
            CLIPVisionModelWithProjection(clip).eval(), (pixels,), path, ['pixel_values'],
            ['image_embeds', 'last_hidden_state'],
            {'pixel_values': {0: 'batch_size'}, 'image_embeds': {0: 'batch_size'},
             'last_hidden_state': {0: 'batch_size'}}),
        'model': lambda path: export_with_variants(
            clip, (ids, pixels, mask), path, ['input_ids', 'pixel_values', 'attention_mask'],
            ['logits_per_image', 'logits_per_text', 'text_embeds', 'image_embeds'],
            {'input_ids': {0: 'text_batch_size', 1: 'sequence_length'},
             'attention_mask': {0: 'text_batch_size', 1: 'sequence_length'},
             'pixel_values': {0: 'image_batch_size'},
             'logits_per_image': {0: 'image_batch_size', 1: 'text_batch_size'},
             'logits_per_text': {0: 'text_batch_size', 1: 'image_batch_size'},
             'text_embeds': {0: 'text_batch_size'}, 'image_embeds': {0: 'image_batch_size'}}),
    }
    for name, make in files.items():
        count = make(os.path.join(onnx_dir, f'{name}.onnx'))
        print(f'{name}: fp32, q8 ({count} MatMuls quantised), fp16 ({time.time() - started:.0f} s)')

    # The bench regenerates the folder when this marker is missing or names another version.
    write_json(os.path.join(out, 'descry-bench.json'), {
        'generator': 'bench/models/make_clip_vit_b32.py', 'version': VERSION,
        'architecture': 'openai/clip-vit-base-patch32', 'parameters': params, 'seed': 0,
        'weights': 'random (transformers initialisation), logit_scale ln(100)',
    }, indent=2)
    print(f'{params} parameters; wrote {out} in {time.time() - started:.0f} s')


if __name__ == '__main__':
    main()
