#!/usr/bin/env bash
# Builds the training, validation and held-out test sets from the two Debian wallpaper packages whose photos may be
# trained on (lomiri-wallpapers-16.04, plasma-workspace-wallpapers; CC BY-SA / LGPL, see their copyright files), and
# only those. Run from anywhere; it needs `npm run build` done (it calls the CLI's `scenes` command).
#
#   training/build-data.sh [OUT]        (default OUT: .train-data at the repository root)
#
# Photos: installed packages are used in place; otherwise, as root, they are installed with apt-get; otherwise
# they are downloaded with `apt-get download` and extracted with `dpkg-deb -x` into OUT/packages.
# Held out of training and validation (the test photos): life_by_Aitzol_Berasategi.jpg and
# Bridge_by_Sander_Klootwijk.jpg (lomiri). Every other lomiri photo and the largest image of each plasma wallpaper
# is a training photo. Since the frozen yardstick (datasets/build-yardstick.sh), its validation photos
# picosdeeuropa_by_Aitzol_Berasategi.jpg and Dragonfly_by_Bolly.jpg are held out too (OUT/yardstick-val), and only
# lomiri-wallpapers-16.04's own files count (lomiri-wallpapers-20.04 installs into the same folder; the yardstick's
# test set uses one of its photos).
#
# Sets (all exact blur from `promotion scenes`: smooth camera paths, half the scenes with a foreground disc crossing
# them for local blur; camera speeds 2-40 px per frame at 30 fps, 160x160 frames):
#   OUT/train      160 scenes x 9 frames, full exposure (64 of 64 virtual frames), seed 1
#   OUT/train-e32   80 scenes x 9 frames, half exposure (32 of 64), seed 3      (shorter blur for the same motion)
#   OUT/train-fast 100 scenes x 9 frames, full exposure, camera speeds 16-40 px per frame, seed 7: with the
#                  default photo scale (the photo fitted inside 5x the frame) a 16:10 photo leaves room for at most
#                  ~18 px per frame over 9 frames, so the first two sets lack long camera blur; --photo-scale 8 gives
#                  the room for 40
#   OUT/train-still 48 scenes x 9 frames, exposure 1 of 64 virtual frames (sharp frames under a moving camera:
#                  a high motion map without blur), seed 11 (for the fine-tuning configs *-ft.yml)
#   OUT/val          8 scenes x 9 frames, full exposure, seed 2
#   OUT/test/camera  6 scenes x 9 frames from the held-out photos, camera motion only (2-40 px per frame),
#                    256x256, photo scale 8, seed 5
#   OUT/test/local   6 scenes x 9 frames from the held-out photos, a foreground (4-30 px per frame) crossing a
#                    nearly still camera (at most 1 px per frame), 256x256, photo scale 8, seed 6
# Blur lengths so span from about 1 px to about 40 px. Each set resumes (finished scenes are skipped).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/.train-data}
CLI="node $ROOT/dist/src/cli/main.js"
HOLDOUT=(life_by_Aitzol_Berasategi.jpg Bridge_by_Sander_Klootwijk.jpg)
YARDSTICK_VAL=(picosdeeuropa_by_Aitzol_Berasategi.jpg Dragonfly_by_Bolly.jpg)
PACKAGES=(lomiri-wallpapers-16.04 plasma-workspace-wallpapers)

[ -f "$ROOT/dist/src/cli/main.js" ] || { echo "error: $ROOT/dist is missing: run npm run build first" >&2; exit 3; }
mkdir -p "$OUT"

installed=1
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || installed=0; done
if [ "$installed" = 1 ]; then
  SHARE=/usr/share
elif [ "$(id -u)" = 0 ]; then
  apt-get install -y "${PACKAGES[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y "${PACKAGES[@]}" >/dev/null; }
  SHARE=/usr/share
else
  mkdir -p "$OUT/packages"
  (cd "$OUT/packages" && apt-get download "${PACKAGES[@]}") || {
    echo "error: could not download ${PACKAGES[*]}: install them (sudo apt-get install -y ${PACKAGES[*]})" >&2; exit 4; }
  for deb in "$OUT"/packages/*.deb; do dpkg-deb -x "$deb" "$OUT/packages/root"; done
  SHARE=$OUT/packages/root/usr/share
fi

link() { # link <target> <name> <folder>
  mkdir -p "$3"
  ln -sfn "$1" "$3/$2"
}
rm -rf "$OUT/photos" "$OUT/holdout" "$OUT/yardstick-val"
if [ "$SHARE" = /usr/share ]; then
  lomiri=$(dpkg -L lomiri-wallpapers-16.04 | grep '/backgrounds/.*_by_.*\.jpg$')
else
  lomiri=$(ls "$SHARE"/backgrounds/*_by_*.jpg)
fi
for f in $lomiri; do
  name=$(basename "$f")
  held=0
  for h in "${HOLDOUT[@]}"; do [ "$name" = "$h" ] && held=1; done
  for h in "${YARDSTICK_VAL[@]}"; do [ "$name" = "$h" ] && held=2; done
  case $held in
    1) link "$f" "$name" "$OUT/holdout" ;;
    2) link "$f" "$name" "$OUT/yardstick-val" ;;
    *) link "$f" "$name" "$OUT/photos" ;;
  esac
done
for dir in "$SHARE"/wallpapers/*/contents/images; do
  # The largest image of each wallpaper (file names are WIDTHxHEIGHT.ext).
  best=$(ls "$dir" | awk -Fx '{ split($2, h, "."); print $1 * h[1], $0 }' | sort -n | tail -1 | cut -d' ' -f2)
  [ -n "$best" ] || continue
  wall=$(basename "$(dirname "$(dirname "$dir")")")
  link "$dir/$best" "$wall-$best" "$OUT/photos"
done
echo "photos: $(ls "$OUT/photos" | wc -l) for training, $(ls "$OUT/holdout" | wc -l) held out (${HOLDOUT[*]})"
[ "$(ls "$OUT/holdout" | wc -l)" = 2 ] || { echo "error: the held-out photos ${HOLDOUT[*]} are missing from $SHARE/backgrounds" >&2; exit 3; }

cd "$ROOT"
if [ "${SETS:-}" = v2 ]; then
  # Data that looks like video (configs/promotion-c.yml): photos at 0.35-1x of their native detail (not shrunk
  # to fit 5x the frame), 192x192 frames, blur from ~1 to 40 px, exposures from one virtual frame (sharp frames
  # under motion) to full, moving foregrounds for local blur. Validation: the yardstick's (datasets/build-yardstick.sh).
  v2=(--frames 9 --size 192x192 --detail 0.35,1)
  $CLI scenes "$OUT/photos" -o "$OUT/v2/mixed" --count 240 --seed 21 "${v2[@]}" &
  $CLI scenes "$OUT/photos" -o "$OUT/v2/short" --count 160 --seed 23 --exposure-frames 16 "${v2[@]}"
  $CLI scenes "$OUT/photos" -o "$OUT/v2/local" --count 160 --seed 27 --foreground 1 --max-speed 1 --min-speed 0 --foreground-speed 5,40 "${v2[@]}"
  $CLI scenes "$OUT/photos" -o "$OUT/v2/still" --count 160 --seed 25 --exposure-frames 1 "${v2[@]}"
  # Long camera blur only (session 18, configs/promotion-c13a.yml): 24-40 px per frame needs the photos at 0.6-1x of
  # their detail for a 192 px view to travel that far.
  $CLI scenes "$OUT/photos" -o "$OUT/v2/fast" --count 160 --seed 29 --frames 9 --size 192x192 --detail 0.6,1 --foreground 0 --min-speed 24 --max-speed 40
  wait
  exit 0
fi
$CLI scenes "$OUT/photos" -o "$OUT/train" --count 160 --frames 9 --size 160x160 --seed 1
$CLI scenes "$OUT/photos" -o "$OUT/train-e32" --count 80 --frames 9 --size 160x160 --seed 3 --exposure-frames 32
$CLI scenes "$OUT/photos" -o "$OUT/train-fast" --count 100 --frames 9 --size 160x160 --seed 7 --photo-scale 8 --min-speed 16
$CLI scenes "$OUT/photos" -o "$OUT/train-still" --count 48 --frames 9 --size 160x160 --seed 11 --exposure-frames 1
$CLI scenes "$OUT/photos" -o "$OUT/val" --count 8 --frames 9 --size 160x160 --seed 2
$CLI scenes "$OUT/holdout" -o "$OUT/test/camera" --count 6 --frames 9 --size 256x256 --seed 5 --foreground 0 --photo-scale 8
$CLI scenes "$OUT/holdout" -o "$OUT/test/local" --count 6 --frames 9 --size 256x256 --seed 6 --foreground 1 --max-speed 1 --photo-scale 8
