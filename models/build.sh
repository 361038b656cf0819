#!/usr/bin/env bash
# Rebuilds the embedded emoji-clip model from scratch: data -> tokenizer -> train -> export -> evaluate.
# Needs only the npm packages in node_modules and Debian's python3-torch/python3-onnx/python3-pil/python3-numpy.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
NODE=${NODE:-node}
export OMP_WAIT_POLICY=PASSIVE  # other jobs share the 2 cores; spinning OpenMP threads slow training
export IMAGE_SIZE=${IMAGE_SIZE:-48}
rm -rf models/.data/openmoji  # rasterised at the model input size
echo "== data"; $NODE models/scripts/build-data.mjs
echo "== tokenizer"; $PY models/scripts/train_tokenizer.py
$PY -c "import sys,json; sys.path.insert(0,'models/scripts'); from captions import *; json.dump(corpus(load_classes()), open('models/.data/corpus.json','w'))"
$NODE models/scripts/encode-captions.mjs
export TRAIN_MINUTES=${TRAIN_MINUTES:-25}
echo "== train (${TRAIN_MINUTES} min)"; $PY models/scripts/train.py
echo "== export"; $PY models/scripts/export.py
echo "== evaluate"; $NODE models/scripts/evaluate.mjs --fixtures
du -sb models/emoji-clip
echo "After a retrain: check tests/model (subset floor in files.test.ts; node models/scripts/pick-pipeline-example.mjs for transformers-js.test.ts)."
