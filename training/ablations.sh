#!/usr/bin/env bash
# Trains the given configs one after the other (an ablation series at equal budget), each in its own output folder,
# and prints each run's whole-frame validation; a run that has finished (its frame_val.csv holds its last iteration)
# is skipped and an interrupted one resumes from its last checkpoint, so the series survives restarts.
#   training/ablations.sh training/configs/ablation-c/*.yml      (logs beside each run: <output>.log)
# THREADS=1 training/ablations.sh ... trains with one intra-op thread in place of the configs' (two series side by
# side on two cores).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ $# -gt 0 ] || { echo "usage: $0 CONFIG.yml..." >&2; exit 2; }
for config in "$@"; do
  [ -f "$config" ] || { echo "error: $config does not exist" >&2; exit 2; }
done
for config in "$@"; do
  config="$(cd "$(dirname "$config")" && pwd)/$(basename "$config")"
  read -r output iterations < <(cd "$here" && /usr/bin/python3 -c "
import sys
from promotion.config import load_config
cfg = load_config(sys.argv[1])
print(cfg['output'], cfg['train']['iterations'])" "$config")
  if [ -f "$output/frame_val.csv" ] && awk -F, -v n="$iterations" 'NR > 1 && $1 == n { found = 1 } END { exit !found }' "$output/frame_val.csv"; then
    echo "$(basename "$config"): done (${output}/frame_val.csv)"
    continue
  fi
  echo "$(basename "$config"): training -> $output ($(date -u +%H:%M))"
  mkdir -p "$(dirname "$output")"
  (cd "$here" && /usr/bin/python3 -m promotion.train "$config" ${THREADS:+--threads "$THREADS"}) >> "$output.log" 2>&1
  tail -n 2 "$output/frame_val.csv"
done
