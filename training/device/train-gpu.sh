#!/usr/bin/env bash
# Trains a config on a lent GPU machine (PyTorch there; no network) within its time budget, writing the run
# (checkpoints, train.csv) straight into $OUT/run, whose files come back even when the command is stopped at its
# limit (at most 8 files of 16 MiB: use train.keep_checkpoints 1 and train.checkpoint_optimizer false, so a
# checkpoint is the weights alone; python3 -m promotion.export reads it). Run from the repository root with the
# photo pack at .gpu/photos (python3 -m promotion.data.photo_pack) carried along:
#   training/device/train-gpu.sh training/configs/promotion-c-gpu.yml
# Here, for a smoke run on the CPU: OUT=/tmp/out PYTHON=/usr/bin/python3 training/device/train-gpu.sh CONFIG
set -uo pipefail
config=${1:?usage: train-gpu.sh CONFIG}
OUT=${OUT:?OUT must name the folder whose files come back}
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}  # the GPU machine's python3 holds PyTorch
output=$("$PY" -c 'import sys; from promotion.config import load_config; print(load_config(sys.argv[1])["output"])' "../$config") || exit 2
if [ -e "$output" ] && [ ! -L "$output" ]; then
  echo "error: $output exists and is not a link this script made: move it away first" >&2; exit 2
fi
mkdir -p "$OUT/run" "$(dirname "$output")"
ln -sfn "$OUT/run" "$output"
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1
  "$PY" -c 'import torch, torchvision; print("torch", torch.__version__, "torchvision", torchvision.__version__, "cuda", torch.cuda.is_available())'
} | tee "$OUT/gpu.txt"
PYTHONUNBUFFERED=1 "$PY" -m promotion.train "../$config" 2>&1 | tee "$OUT/train.log"
exit "${PIPESTATUS[0]}"
