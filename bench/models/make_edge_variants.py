"""The edge variants of a benchmark model's vision encoder (onnx_variants.py): onnx/vision_model_int8.onnx
(dynamic int8 Conv and MatMul: ConvInteger, MatMulInteger) and onnx/vision_model_int8w.onnx (int8 weights
behind DequantizeLinear, float compute), next to the fp32, q8 (`_quantized`) and fp16 files the generators
write. Only the vision encoder: at the edge the Worker carries it alone, and the text side arrives as
compiled classifiers (bench/edge-models.mjs).

    /usr/bin/python3 bench/models/make_edge_variants.py [MODEL_FOLDER ...]
        (default bench/.models/mobileclip-s0 and bench/.models/clip-vit-base-patch32)

Each variant is written when it is missing or older than vision_model.onnx; a marker
(descry-edge-variants.json) records the generator's VERSION and what each variant quantised.
"""
import json
import os
import sys
import time

try:
    import onnx
except ImportError as missing:  # build tooling only: Debian's packages, no pip
    sys.exit(f'{missing}: run with /usr/bin/python3 and apt-get install -y python3-onnx python3-numpy')

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_variants import quantize_int8, quantize_weights_qdq  # noqa: E402

VERSION = 2  # 2: int8w leaves depthwise convolutions float32, as int8 does
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
DEFAULT_FOLDERS = [os.path.join(ROOT, 'bench', '.models', name) for name in ('mobileclip-s0', 'clip-vit-base-patch32')]
VARIANTS = {
    'int8': lambda model: quantize_int8(model),
    'int8w': lambda model: quantize_weights_qdq(model),
}


def make(folder):
    source = os.path.join(folder, 'onnx', 'vision_model.onnx')
    if not os.path.exists(source):
        sys.exit(f'{source} is missing: run npm run bench:models first')
    marker_path = os.path.join(folder, 'descry-edge-variants.json')
    try:
        with open(marker_path, encoding='utf-8') as f:
            marker = json.load(f)
    except (OSError, ValueError):
        marker = {}
    if marker.get('version') != VERSION:
        marker = {'version': VERSION, 'variants': {}}
    for name, quantize in VARIANTS.items():
        target = os.path.join(folder, 'onnx', f'vision_model_{name}.onnx')
        if (os.path.exists(target) and name in marker['variants']
                and os.path.getmtime(target) >= os.path.getmtime(source)):
            continue
        started = time.time()
        model, counts = quantize(onnx.load(source))
        onnx.checker.check_model(model)
        onnx.save(model, target)
        marker['variants'][name] = {'quantised': counts, 'bytes': os.path.getsize(target)}
        print(f'{os.path.basename(folder)}: vision_model_{name}.onnx {os.path.getsize(target) / 2**20:.1f} MiB, '
              f'quantised {counts} ({time.time() - started:.0f} s)')
    with open(marker_path, 'w', encoding='utf-8') as f:
        json.dump(marker, f, indent=2)
        f.write('\n')


def main():
    for folder in (sys.argv[1:] or DEFAULT_FOLDERS):
        make(os.path.abspath(folder))


if __name__ == '__main__':
    main()
