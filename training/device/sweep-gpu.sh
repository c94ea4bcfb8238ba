#!/usr/bin/env bash
# Trains several configs side by side on one lent GPU machine (one process each; a promotion-c run leaves most of
# an H200 idle), each picking its best weights by whole-frame validation (config frame_val -> <output>/best.pt).
# What comes back ($OUT, at most 8 files): <name>.pt (each run's best.pt, weights only: python3 -m promotion.export
# reads it) and logs.tgz (each run's train.log, train.csv, frame_val.csv, and gpu.txt), refreshed every 30 s while
# the runs go on, so a call stopped at its limit still returns what the runs had reached. Run from the repository
# root with .gpu (the photo pack and the validation specs and photos) carried along:
#   training/device/sweep-gpu.sh training/configs/gpu-sweep/*.yml
# Here, for a smoke run: OUT=/tmp/out PYTHON=/usr/bin/python3 training/device/sweep-gpu.sh CONFIG...
set -uo pipefail
[ "$#" -ge 1 ] || { echo "usage: sweep-gpu.sh CONFIG..." >&2; exit 2; }
OUT=${OUT:?OUT must name the folder whose files come back}
[ "$#" -le 7 ] || { echo "error: at most 7 configs (8 files come back: one .pt each and logs.tgz)" >&2; exit 2; }
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
LOGS=$(mktemp -d)
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1
  "$PY" -c 'import torch, torchvision; print("torch", torch.__version__, "torchvision", torchvision.__version__, "cuda", torch.cuda.is_available())'
} > "$LOGS/gpu.txt"
names=() outputs=() pids=()
for config in "$@"; do
  output=$("$PY" -c 'import sys; from promotion.config import load_config; c = load_config(sys.argv[1]); print(c["name"], c["output"])' "../$config") || exit 2
  names+=("${output%% *}"); outputs+=("${output#* }")
  if [ -e "${output#* }" ]; then echo "error: ${output#* } exists: move it away first" >&2; exit 2; fi
done
collect() {
  local i
  for i in "${!names[@]}"; do
    local o=${outputs[$i]} n=${names[$i]}
    if [ -f "$o/best.pt" ]; then cp "$o/best.pt" "$OUT/.$n.pt.tmp" && mv "$OUT/.$n.pt.tmp" "$OUT/$n.pt"; fi
    mkdir -p "$LOGS/$n"
    cp "$o"/*.csv "$LOGS/$n/" 2>/dev/null
  done
  tar -czf "$OUT/.logs.tgz.tmp" -C "$LOGS" . && mv "$OUT/.logs.tgz.tmp" "$OUT/logs.tgz"
}
for i in "${!names[@]}"; do
  mkdir -p "$LOGS/${names[$i]}"
  PYTHONUNBUFFERED=1 "$PY" -m promotion.train "../${@:$((i + 1)):1}" > "$LOGS/${names[$i]}/train.log" 2>&1 &
  pids+=($!)
done
alive() { local pid; for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && return 0; done; return 1; }
while alive; do
  for _ in $(seq 30); do alive && sleep 1; done
  collect
  for i in "${!names[@]}"; do tail -n 1 "$LOGS/${names[$i]}/train.log" | sed "s/^/${names[$i]}: /"; done
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
collect
for i in "${!names[@]}"; do echo "== ${names[$i]}"; grep -E 'frame val|error|Error' "$LOGS/${names[$i]}/train.log" | tail -n 40; done
exit "$status"
