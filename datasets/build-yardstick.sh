#!/usr/bin/env bash
# Renders the frozen yardstick of the deblurring model: a test set and a separate validation set of 640x480 full
# frames with exact blur, from photos that no training set uses, at 0.75-1x of the photos' native detail (less
# would leave the smaller photos no room for a 640x480 view to travel 5-40 px per frame).
#
#   datasets/build-yardstick.sh [OUT]      (default OUT: .yardstick at the repository root; needs `npm run build`)
#
# Sets (every sequence 10 frames of 640x480 at 30 fps, full exposure: 64 of 64 virtual frames at 1920 fps):
#   OUT/test/camera  6 sequences, camera motion only, 5-40 px per frame (pan, rotation, zoom, shake), seed 101
#   OUT/test/local   6 sequences, a foreground disc crossing at 5-40 px per frame, camera at most 1 px, seed 102
#   OUT/val/camera   the same for validation, seed 201
#   OUT/val/local    seed 202
#   OUT/lines/camera a second validation set (session 18), 6 sequences of 320x240, camera motion only, 16-40 px per
#                    frame, seed 301: what the test set's failure looks like (long camera blur over thin lines and
#                    bokeh: its *Bridge* and *Kleiber*), which the first validation set does not hold
#   OUT/lines/local  6 sequences of 320x240, a foreground disc crossing a nearly still camera at 5-40 px per frame,
#                    seed 302: the still background of thin grass and stems is where the default harmed sharp input
# Test photos: life_by_Aitzol_Berasategi.jpg and Bridge_by_Sander_Klootwijk.jpg (lomiri-wallpapers-16.04, held out
# of every training set since the first) and Kleiber_by_Lukas_Baubkus.jpg (lomiri-wallpapers-20.04, which no
# training set uses). Validation photos: picosdeeuropa_by_Aitzol_Berasategi.jpg and Dragonfly_by_Bolly.jpg
# (lomiri-wallpapers-16.04; training/build-data.sh keeps them out of the sets built since the yardstick).
# Lines photos (the `lines` set): Dune, TwoWings, LadyBird, Blinds, Wood and RainDrops from mate-backgrounds' nature
# folder (GPL-2+), which no training set uses. They are 1680-2560 px wide: a rotating 640x480 view at their detail has
# no room to travel, so the lines set is 320x240 (the network is fully convolutional; a hand region is this size).
# Licences: datasets/yardstick/NOTICE.md.
#
# The sets are frozen by datasets/yardstick/manifest.json (each sequence's spec and the blurred input's PSNR);
# `node dist/bench/yardstick.js` checks every sequence of the set it measures against it (the blurred input's PSNR to
# 0.005 dB) and refuses a rendering that differs. The test set never picks a model: the
# validation set does.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/.yardstick}
CLI="node $ROOT/dist/src/cli/main.js"
PACKAGES=(lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 mate-backgrounds)
TEST_PHOTOS=(life_by_Aitzol_Berasategi.jpg Bridge_by_Sander_Klootwijk.jpg Kleiber_by_Lukas_Baubkus.jpg)
VAL_PHOTOS=(picosdeeuropa_by_Aitzol_Berasategi.jpg Dragonfly_by_Bolly.jpg)
LINES_PHOTOS=(mate/nature/Dune.jpg mate/nature/TwoWings.jpg mate/nature/LadyBird.jpg mate/nature/Blinds.jpg mate/nature/Wood.jpg mate/nature/RainDrops.jpg)

[ -f "$ROOT/dist/src/cli/main.js" ] || { echo "error: $ROOT/dist is missing: run npm run build first" >&2; exit 3; }
mkdir -p "$OUT"

# The photos: from the installed packages, else (as root) installed, else extracted from `apt-get download`.
SHARE=/usr/share
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y "${missing[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y "${missing[@]}" >/dev/null; }
  else
    mkdir -p "$OUT/packages"
    (cd "$OUT/packages" && apt-get download "${missing[@]}") || {
      echo "error: could not download ${missing[*]}: install them (sudo apt-get install -y ${missing[*]})" >&2; exit 4; }
    for deb in "$OUT"/packages/*.deb; do dpkg-deb -x "$deb" "$OUT/packages/root"; done
    SHARE=$OUT/packages/root/usr/share
  fi
fi
find_photo() { # the installed photo's path, or an error naming the package
  for base in "$SHARE" /usr/share; do [ -f "$base/backgrounds/$1" ] && { echo "$base/backgrounds/$1"; return; }; done
  echo "error: $1 is missing (from ${PACKAGES[*]})" >&2; exit 3
}
# Stable paths: the manifest records photos under OUT/photos-*/, whatever the packages' location.
rm -rf "$OUT/photos-test" "$OUT/photos-val" "$OUT/photos-lines"
mkdir -p "$OUT/photos-test" "$OUT/photos-val" "$OUT/photos-lines"
for f in "${TEST_PHOTOS[@]}"; do ln -sfn "$(find_photo "$f")" "$OUT/photos-test/$f"; done
for f in "${VAL_PHOTOS[@]}"; do ln -sfn "$(find_photo "$f")" "$OUT/photos-val/$f"; done
for f in "${LINES_PHOTOS[@]}"; do ln -sfn "$(find_photo "$f")" "$OUT/photos-lines/$(basename "$f")"; done

common=(--frames 10 --size 640x480 --detail 0.75,1)
cd "$ROOT"
$CLI scenes "$OUT/photos-test" -o "$OUT/test/camera" --count 6 --seed 101 --foreground 0 --min-speed 5 --max-speed 40 "${common[@]}"
$CLI scenes "$OUT/photos-test" -o "$OUT/test/local" --count 6 --seed 102 --foreground 1 --max-speed 1 --min-speed 0 --foreground-speed 5,40 "${common[@]}"
$CLI scenes "$OUT/photos-val" -o "$OUT/val/camera" --count 6 --seed 201 --foreground 0 --min-speed 5 --max-speed 40 "${common[@]}"
$CLI scenes "$OUT/photos-val" -o "$OUT/val/local" --count 6 --seed 202 --foreground 1 --max-speed 1 --min-speed 0 --foreground-speed 5,40 "${common[@]}"
lines=(--frames 10 --size 320x240 --detail 0.75,1)
$CLI scenes "$OUT/photos-lines" -o "$OUT/lines/camera" --count 6 --seed 301 --foreground 0 --min-speed 16 --max-speed 40 "${lines[@]}"
$CLI scenes "$OUT/photos-lines" -o "$OUT/lines/local" --count 6 --seed 302 --foreground 1 --max-speed 1 --min-speed 0 --foreground-speed 5,40 "${lines[@]}"
