#!/usr/bin/env bash
# Session 17's probe: camera sequences rendered from photos no training set or yardstick uses (Debian's
# mate-backgrounds, GPL-2+: Dune, LadyBird, TwoWings), scored with whole-frame validation (frame_val, the runtime's
# arithmetic in PyTorch) for the given cards. Not a frozen set: a look at content the yardstick lacks.
#   training/results/probe-mate/run.sh OUT CARD [CARD ...]     (from the repository root; needs npm run build)
set -euo pipefail
OUT=$1; shift
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
mkdir -p "$OUT/pkg" "$OUT/photos"
(cd "$OUT/pkg" && ls mate-backgrounds_*.deb >/dev/null 2>&1 || apt-get download mate-backgrounds)
dpkg-deb -x "$OUT"/pkg/mate-backgrounds_*.deb "$OUT/pkg/root"
for f in Dune LadyBird TwoWings; do ln -sfn "$OUT/pkg/root/usr/share/backgrounds/mate/nature/$f.jpg" "$OUT/photos/$f.jpg"; done
# The photos are 1680-2560 px wide: at 0.75-1x of their detail they leave a 640x480 view little room, so the camera
# speed is capped (promotion scenes warns which scenes, and how fast they move).
node "$ROOT/dist/src/cli/main.js" scenes "$OUT/photos" -o "$OUT/set/camera" --count 6 --seed 401 --foreground 0 \
  --min-speed 24 --max-speed 40 --frames 10 --size 640x480 --detail 0.75,1
cd "$ROOT/training"
for card in "$@"; do /usr/bin/python3 -m promotion.frame_val "$OUT/set" --model "$card" --threads 2; done
# What any network could gain through the clamp at radius 2, 4 and 8 (the sharp frames clamped to the blurred range).
/usr/bin/python3 -m promotion.clamp_ceiling "$OUT/set" --radii 2,4,8
