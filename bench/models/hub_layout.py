"""Writing a model folder in the Hugging Face / transformers.js layout: JSON files, the CLIP
tokenizer (clip_bpe.py), and each ONNX graph with its q8 (`_quantized`) and fp16 (`_fp16`) variants."""
import json
import os
import sys

try:
    import onnx
    import torch
except ImportError as missing:  # build tooling only: Debian's packages, no pip
    sys.exit(f'{missing}: run with /usr/bin/python3 and apt-get install -y '
             'python3-torch python3-onnx python3-numpy python3-pil')

import clip_bpe  # noqa: E402
from onnx_variants import convert_fp16, quantize_q8  # noqa: E402

OPSET = 14


ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def output_folder(name):
    """The folder to write (argv[1], default bench/.models/<name>), with its onnx/ subfolder made, and
    torch limited to this machine's (at most 2) cores; returns (folder, onnx folder)."""
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, 'bench', '.models', name))
    os.makedirs(os.path.join(out, 'onnx'), exist_ok=True)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    return out, os.path.join(out, 'onnx')


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
