"""Writing a model folder in the Hugging Face / transformers.js layout: JSON files, the CLIP
tokenizer (clip_bpe.py), and each ONNX graph with its q8 (`_quantized`) and fp16 (`_fp16`) variants."""
import json
import os

import onnx
import torch

import clip_bpe
from onnx_variants import convert_fp16, quantize_q8

OPSET = 14


def write_json(path, value, **kw):
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(value, f, **kw)
        f.write('\n')


def write_tokenizer(root, out, model_max_length=77, pad_token=None):
    """The CLIP-convention tokenizer files; returns tokenizer.json's content. `pad_token` overrides
    the end token as padding (open_clip models, MobileCLIP among them, pad with id 0, "!")."""
    tokenizer, tokenizer_config, special_tokens_map, _ = clip_bpe.build(root)
    tokenizer_config['model_max_length'] = model_max_length
    if pad_token is not None:
        tokenizer_config['pad_token'] = special_tokens_map['pad_token'] = pad_token
    write_json(os.path.join(out, 'tokenizer.json'), tokenizer, ensure_ascii=False, separators=(',', ':'))
    write_json(os.path.join(out, 'tokenizer_config.json'), tokenizer_config, indent=2)
    write_json(os.path.join(out, 'special_tokens_map.json'), special_tokens_map, indent=2)
    return tokenizer


def export_with_variants(module, args, path, input_names, output_names, dynamic_axes):
    """Export `module` to `path` (fp32) and write its `_quantized` and `_fp16` siblings; returns the
    number of MatMuls the q8 variant quantised."""
    with torch.no_grad():
        torch.onnx.export(module, args, path, opset_version=OPSET, do_constant_folding=True,
                          input_names=input_names, output_names=output_names, dynamic_axes=dynamic_axes)
    onnx.checker.check_model(path)
    stem = path[:-len('.onnx')]
    q8, count = quantize_q8(onnx.load(path))
    onnx.save(q8, f'{stem}_quantized.onnx')
    onnx.save(convert_fp16(onnx.load(path)), f'{stem}_fp16.onnx')
    return count
