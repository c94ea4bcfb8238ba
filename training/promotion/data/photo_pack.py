"""A photo pack: square crops of the training photos at a few levels of detail, small enough to travel to a GPU
machine that cannot reach the Debian packages (promotion/data/gpu_scenes.py renders training scenes from it there).

For each photo and each detail level d (1 = the photo's native resolution, 0.6 = the photo shrunk to 60%, Lanczos),
the most textured of `candidates` square crops of `side` pixels (mean absolute grey gradient, as the training
data's texture filter measures it) is kept, as a JPEG of `quality` (4:4:4: no chroma subsampling). A crop must
leave room for a 5-frame window of the camera's travel plus the view's rotation (gpu_scenes.py caps the speed by
what the crop allows). Every photo is first checked against the evaluation manifest (holdout.py): a photo of either
evaluation sample, or one held out by the yardstick, never gets into a pack.

    cd training && /usr/bin/python3 -m promotion.data.photo_pack ../.train-data/photos OUT_FOLDER \
        [--side 512] [--detail 1,0.6,0.35] [--quality 90] [--candidates 12] [--seed 0]

Writes OUT_FOLDER/<photo stem>_d<detail>.jpg and OUT_FOLDER/pack.json (source photo, its SHA-256, detail, crop box).
"""
import argparse
import hashlib
import json
import os
import sys
from typing import List

import numpy as np
from PIL import Image

from . import texture_score
from .holdout import find_leaks, load_manifest

_REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..'))
DEFAULT_MANIFEST = os.path.join(_REPO_ROOT, 'datasets', 'eval-photos.json')


def best_crop(image: Image.Image, side: int, candidates: int, rng: np.random.Generator):
    """The most textured of `candidates` random side x side crops of `image`: (crop, box)."""
    w, h = image.size
    best = None
    for _ in range(candidates):
        x = int(rng.integers(0, w - side + 1))
        y = int(rng.integers(0, h - side + 1))
        crop = image.crop((x, y, x + side, y + side))
        score = texture_score(np.asarray(crop, dtype=np.float32) / 255)
        if best is None or score > best[0]:
            best = (score, crop, (x, y, x + side, y + side))
    return best[1], best[2], best[0]


def pack(photos: List[str], out: str, side: int, details: List[float], quality: int, candidates: int,
         seed: int, manifest: str) -> dict:
    leaks = find_leaks(photos, load_manifest(manifest))
    if leaks:
        raise ValueError('evaluation photos would reach training: ' +
                         '; '.join(f'{l.photo} ({l.reason} {l.evaluation_photo})' for l in leaks))
    os.makedirs(out, exist_ok=True)
    entries = []
    for index, path in enumerate(sorted(photos)):
        with open(path, 'rb') as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        photo = Image.open(path).convert('RGB')
        stem = os.path.splitext(os.path.basename(path))[0]
        rng = np.random.default_rng([seed, index])
        for d in details:
            size = (round(photo.width * d), round(photo.height * d))
            if min(size) < side:
                continue
            scaled = photo if d == 1 else photo.resize(size, Image.LANCZOS)
            crop, box, score = best_crop(scaled, side, candidates, rng)
            name = f'{stem}_d{d:g}.jpg'
            tmp = os.path.join(out, name + '.tmp')
            crop.save(tmp, 'JPEG', quality=quality, subsampling=0)
            os.replace(tmp, os.path.join(out, name))
            entries.append({'file': name, 'photo': os.path.basename(path), 'sha256': digest, 'detail': d,
                            'box': list(box), 'texture': round(score, 5)})
    info = {'side': side, 'quality': quality, 'details': details, 'seed': seed, 'crops': entries}
    with open(os.path.join(out, 'pack.json'), 'w') as f:
        json.dump(info, f, indent=1)
    return info


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m promotion.data.photo_pack', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('photos', help='folder of training photos (training/build-data.sh links them in OUT/photos)')
    parser.add_argument('out')
    parser.add_argument('--side', type=int, default=512)
    parser.add_argument('--detail', default='1,0.6,0.35')
    parser.add_argument('--quality', type=int, default=90)
    parser.add_argument('--candidates', type=int, default=12)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--manifest', default=DEFAULT_MANIFEST)
    args = parser.parse_args(argv)
    if not os.path.isdir(args.photos):
        print(f'error: {args.photos} is not a folder of photos (run training/build-data.sh first)', file=sys.stderr)
        return 2
    photos = [os.path.join(args.photos, n) for n in sorted(os.listdir(args.photos))
              if n.lower().endswith(('.jpg', '.jpeg', '.png'))]
    try:
        details = [float(d) for d in args.detail.split(',')]
        if not details or any(not 0 < d <= 1 for d in details):
            raise ValueError(f'--detail wants levels in (0, 1], comma-separated, but received {args.detail!r}')
        info = pack(photos, args.out, args.side, details, args.quality, args.candidates, args.seed, args.manifest)
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    total = sum(os.path.getsize(os.path.join(args.out, c['file'])) for c in info['crops'])
    print(f'{len(info["crops"])} crops from {len(photos)} photos, {total / 1e6:.1f} MB in {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
