#!/usr/bin/env bash
# Builds a training set with real hands for the pose-aware loss (docs/training.md, "The pose-aware loss"), after
# training/build-data.sh has linked the training photos (OUT/photos), and checks that no evaluation photo reaches it.
#
#   training/build-hand-data.sh [OUT]      (default OUT: .train-data at the repository root)
#   env: EVAL_MANIFEST (default datasets/eval-photos.json), COUNT (scenes, default 200), STILLS (default 60)
#
# Hand photos: handSrc.jpg and handDst.jpg of Debian's opencv-doc (OpenCV documentation, the same hand photographed
# twice, 640x480; Apache-2.0 AND BSD-3-Clause, see /usr/share/doc/opencv-doc/copyright), taken from an installed
# opencv-doc or extracted from `apt-get download opencv-doc` into OUT/packages (the package is 96 MB; only the two
# photos are kept). Not its Back_Projection_Theory*.jpg nor Back_Projection1_Source_Image.jpg: the evaluation sample's
# open palm is one of them and the last is a screenshot of it.
#
# Steps:
#   1. every hand photo and every training photo against EVAL_MANIFEST (promotion.data.holdout; exit 3 on a leak);
#   2. OUT/hand-stills: STILLS stills of 960x720, up to 16 hands each over training photos (hand_composites.py),
#      with their masks in OUT/hand-stills-masks;
#   3. OUT/v2/hands: COUNT scenes of 9 frames at 192x192, native detail, camera speeds 2-40 px per frame, moving
#      foregrounds (promotion scenes, seed 31), and the same scenes over the masks in OUT/v2/hands-masks;
#   4. the masks attached to OUT/v2/hands (hands/ in every sequence; the loader's handBox).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/.train-data}
MANIFEST=${EVAL_MANIFEST:-$ROOT/datasets/eval-photos.json}
COUNT=${COUNT:-200}
STILLS=${STILLS:-60}
CLI="node $ROOT/dist/src/cli/main.js"
PY="env PYTHONPATH=$ROOT/training /usr/bin/python3"
DOC=usr/share/doc/opencv-doc/opencv4/html
PHOTOS=(handSrc.jpg handDst.jpg)

[ -f "$ROOT/dist/src/cli/main.js" ] || { echo "error: $ROOT/dist is missing: run npm run build first" >&2; exit 3; }
[ -d "$OUT/photos" ] || { echo "error: $OUT/photos is missing: run training/build-data.sh $OUT first (it links the training photos)" >&2; exit 3; }
[ -f "$MANIFEST" ] || { echo "error: the evaluation photos manifest $MANIFEST is missing: set EVAL_MANIFEST to the manifest of the photos the evaluation samples use (promotion.data.holdout's format)" >&2; exit 3; }

mkdir -p "$OUT/hand-photos"
for p in "${PHOTOS[@]}"; do
  if [ -f "/$DOC/$p" ]; then
    ln -sfn "/$DOC/$p" "$OUT/hand-photos/$p"
  elif [ ! -f "$OUT/hand-photos/$p" ]; then
    mkdir -p "$OUT/packages"
    deb=$(ls "$OUT"/packages/opencv-doc_*.deb 2>/dev/null | head -1 || true)
    if [ -z "$deb" ]; then
      (cd "$OUT/packages" && apt-get download opencv-doc >/dev/null) || {
        echo "error: could not download opencv-doc: install it (apt-get install -y opencv-doc)" >&2; exit 4; }
      deb=$(ls "$OUT"/packages/opencv-doc_*.deb | head -1)
    fi
    dpkg-deb --fsys-tarfile "$deb" | tar -x -O "./$DOC/$p" > "$OUT/hand-photos/$p"
  fi
done
rm -f "$OUT"/packages/opencv-doc_*.deb

# hand_composites checks every hand photo and background against the manifest before it makes anything (exit 3
# naming each leak): 43 photos against 7 took 9 minutes beside a training run and other jobs (load about 10).
echo "checking $(ls "$OUT/hand-photos" | wc -l) hand photos and $(ls "$OUT/photos" | wc -l) training photos against $MANIFEST"
rm -rf "$OUT/hand-stills" "$OUT/hand-stills-masks"
$PY -m promotion.data.hand_composites --hands "$OUT/hand-photos" --backgrounds "$OUT/photos" --manifest "$MANIFEST" \
  --out "$OUT/hand-stills" --masks "$OUT/hand-stills-masks" --count "$STILLS" --size 960x720 --seed 29

cd "$ROOT"
scene=(--count "$COUNT" --frames 9 --size 192x192 --detail 1 --max-speed 40 --seed 31)
$CLI scenes "$OUT/hand-stills" -o "$OUT/v2/hands" "${scene[@]}" &
$CLI scenes "$OUT/hand-stills-masks" -o "$OUT/v2/hands-masks" "${scene[@]}"
wait
$PY -m promotion.data.attach_hand_masks "$OUT/v2/hands" "$OUT/v2/hands-masks"
