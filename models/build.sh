#!/usr/bin/env bash
# Rebuilds the embedded emoji-clip model from scratch: data -> tokenizer -> train -> export -> evaluate.
# Needs only the npm packages in node_modules and Debian's python3-torch, python3-onnx, python3-pil and
# python3-numpy (installed here when missing and we are root with apt-get; otherwise it says what to install).
# Training is a fixed number of steps (TRAIN_STEPS), not a time budget: a rebuild is reproducible, and a busy machine
# only makes it slower (about 56 minutes on an idle 2-vCPU machine; see the model card).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
NODE=${NODE:-node}
TSX=${TSX:-node_modules/.bin/tsx}
export OMP_WAIT_POLICY=PASSIVE  # other jobs share the cores; spinning OpenMP threads slow everyone down
export MODEL_DIR=${MODEL_DIR:-models/emoji-clip}

PKGS="python3-torch python3-onnx python3-pil python3-numpy"
if ! $PY -c 'import torch, onnx, PIL, numpy' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing Debian's $PKGS"
    apt-get update -qq && apt-get install -y -qq $PKGS
  else
    echo "build:model needs Debian's Python packages: apt-get install -y $PKGS (run as /usr/bin/python3)" >&2
    exit 1
  fi
fi

echo "== data"; $NODE models/scripts/build-data.mjs
echo "== tokenizer"; $PY models/scripts/train_tokenizer.py
$NODE models/scripts/check-tokenizer.mjs
export TRAIN_STEPS=${TRAIN_STEPS:-4000}
echo "== train (${TRAIN_STEPS} steps)"; $PY models/scripts/train.py
echo "== export"; $PY models/scripts/export.py
echo "== evaluate"; $TSX models/scripts/evaluate.ts --model "$MODEL_DIR" --fixtures
du -sb "$MODEL_DIR"
echo "After a retrain: npx tsx models/scripts/pick-fixtures.ts (fixture choices for tests/model, tests/worker and"
echo "npm start's demo), then npm run bench:methods -- --readme."
