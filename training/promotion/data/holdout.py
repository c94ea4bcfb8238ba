"""Keeps evaluation photos out of training: a check that data builders run on the photos they are about to train on.

An evaluation manifest (JSON) lists the photos the evaluation samples were made from:

    {"photos": [{"path": "test/fixtures/hands/Back_Projection_Theory2.jpg", "sha256": "<hex of the file>"}, ...]}

`path` is relative to the repository root or absolute (a Debian wallpaper under /usr/share); `sha256` is the
SHA-256 of the file's bytes. An entry needs at least one of the two; other keys are ignored.

A training photo leaks when
- its bytes have the SHA-256 of a listed photo, or
- its pixels hold a listed photo, or are held by one: the same picture re-encoded, rescaled, cropped, or framed
  in a screenshot (OpenCV's documentation has `Back_Projection1_Source_Image.jpg`, a window showing the very photo
  `Back_Projection_Theory2.jpg` the FPHA sample's hand comes from). Found by normalized cross-correlation of grey
  thumbnails (each picture slid over the other at relative scales 1 down to 0.3); a match of at least
  `NEAR_DUPLICATE_NCC` (0.95) is a leak. Measured on the hand photos at hand (`--scores`, docs/training.md gives
  the command): that screenshot against the photo 0.988; two shots of one hand before one background, fingers
  posed differently (fingerpose's halfcurl against nocurl) 0.894; different hands 0.49-0.80. So sibling shots of a
  listed photo are not caught: list every photo of a session.

    python3 -m promotion.data.holdout --manifest datasets/eval-photos.json [--scores] PHOTO [PHOTO ...]

exits 0 when no photo leaks, 3 listing each leak (photo, listed photo, why), 2 on a bad manifest.
"""
import argparse
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

#: Normalized cross-correlation at or above which two pictures are the same photo.
NEAR_DUPLICATE_NCC = 0.95
#: The larger picture's long side in the comparison, pixels.
THUMBNAIL_SIDE = 128
#: Sizes tried for the smaller picture, as fractions of the larger one's long side: 1 down to 0.3 in steps of 2%.
RELATIVE_SCALES = tuple(0.98 ** k for k in range(60))

_REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..'))


@dataclass(frozen=True)
class EvaluationPhoto:
    path: Optional[str]
    sha256: Optional[str]


@dataclass(frozen=True)
class Leak:
    photo: str
    evaluation_photo: str
    reason: str


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def load_manifest(path: str, root: str = _REPO_ROOT) -> List[EvaluationPhoto]:
    """Reads an evaluation manifest; ValueError naming the file and the entry when it is malformed."""
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError as error:
        raise ValueError(f'Evaluation manifest {path} does not exist: pass the manifest of the evaluation photos '
                         f'(--manifest)') from error
    except json.JSONDecodeError as error:
        raise ValueError(f'Evaluation manifest {path} is not JSON: {error}') from error
    photos = data.get('photos') if isinstance(data, dict) else None
    if not isinstance(photos, list) or not photos:
        raise ValueError(f'{path}: expected {{"photos": [{{"path": ..., "sha256": ...}}, ...]}} with at least one photo')
    out = []
    for i, entry in enumerate(photos):
        if not isinstance(entry, dict) or not (entry.get('path') or entry.get('sha256')):
            raise ValueError(f'{path}: photos[{i}] needs a path or a sha256 but is {entry!r}')
        p = entry.get('path')
        if p is not None:
            p = p if os.path.isabs(p) else os.path.join(root, p)
        digest = entry.get('sha256')
        if digest is not None and (not isinstance(digest, str) or len(digest) != 64):
            raise ValueError(f'{path}: photos[{i}].sha256 must be 64 hex digits but is {digest!r}')
        out.append(EvaluationPhoto(p, digest.lower() if digest else None))
    return out


#: Pictures are compared from a grey copy at most this many pixels on the long side (4 x THUMBNAIL_SIDE).
WORKING_SIDE = 512


def _grey(path: str) -> np.ndarray:
    with Image.open(path) as im:
        im.draft('L', (WORKING_SIDE, WORKING_SIDE))  # JPEG: decode at a reduced scale directly
        grey = im.convert('L')
        if max(grey.size) > WORKING_SIDE:
            grey.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.BOX)
        return np.asarray(grey, dtype=np.float64) / 255


def _resized(grey: np.ndarray, long_side: int) -> np.ndarray:
    h, w = grey.shape
    scale = long_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray((grey * 255).astype(np.uint8)).resize(size, Image.BOX), dtype=np.float64) / 255


def best_ncc(image: np.ndarray, template: np.ndarray) -> float:
    """The largest normalized cross-correlation of `template` over every position inside `image` (both grey 2-D
    arrays, template not larger); 0 where a window or the template is flat."""
    th, tw = template.shape
    ih, iw = image.shape
    if th > ih or tw > iw:
        return 0.0
    t = template - template.mean()
    t_norm = np.sqrt((t * t).sum())
    if t_norm < 1e-9:
        return 0.0
    # Correlation by FFT: sum over the window of image x t (t has zero mean, so the window's mean drops out).
    shape = (ih + th, iw + tw)
    corr = np.fft.irfft2(np.fft.rfft2(image, shape) * np.conj(np.fft.rfft2(t, shape)), shape)[:ih - th + 1, :iw - tw + 1]
    s1 = np.pad(image, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    s2 = np.pad(image * image, ((1, 0), (1, 0))).cumsum(0).cumsum(1)

    def window(s):
        return s[th:, tw:] - s[:-th, tw:] - s[th:, :-tw] + s[:-th, :-tw]
    n = th * tw
    var = window(s2) - window(s1) ** 2 / n
    denom = np.sqrt(np.clip(var, 0, None)) * t_norm
    valid = denom > 1e-6
    if not valid.any():
        return 0.0
    return float((corr[valid] / denom[valid]).max())


def same_picture(a: np.ndarray, b: np.ndarray) -> float:
    """The best normalized cross-correlation of either picture slid over the other, the one slid scaled to
    RELATIVE_SCALES of the other's long side, on grey thumbnails (the one slid over at THUMBNAIL_SIDE)."""
    best = 0.0
    for big, small in ((a, b), (b, a)):
        big_t = _resized(big, THUMBNAIL_SIDE)
        for scale in RELATIVE_SCALES:
            best = max(best, best_ncc(big_t, _resized(small, round(THUMBNAIL_SIDE * scale))))
    return best


def find_leaks(photos: Sequence[str], manifest: List[EvaluationPhoto],
               scores: Optional[List[Tuple[str, str, float]]] = None) -> List[Leak]:
    """Every (training photo, evaluation photo) pair that is the same picture. `scores`, when given, receives
    (photo, listed photo, best normalized cross-correlation) for every pair compared by pixels."""
    digests = {e.sha256: e for e in manifest if e.sha256}
    listed = []
    for e in manifest:
        if e.path and os.path.isfile(e.path):
            listed.append((e, _grey(e.path)))
            if e.sha256 is None:
                digests[sha256_of(e.path)] = e
    leaks = []
    for photo in photos:
        digest = sha256_of(photo)
        if digest in digests:
            e = digests[digest]
            leaks.append(Leak(photo, e.path or e.sha256 or '', 'the same file (SHA-256)'))
            continue
        grey = _grey(photo)
        for e, other in listed:
            score = same_picture(grey, other)
            if scores is not None:
                scores.append((photo, e.path or '', score))
            if score >= NEAR_DUPLICATE_NCC:
                leaks.append(Leak(photo, e.path or '', f'the same picture (normalized cross-correlation {score:.3f})'))
    return leaks


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m promotion.data.holdout', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--manifest', required=True, help='the evaluation photos manifest (JSON)')
    parser.add_argument('--scores', action='store_true', help='print the best correlation of every pair compared')
    parser.add_argument('photos', nargs='+', help='the photos a data builder is about to train on')
    args = parser.parse_args(argv)
    try:
        manifest = load_manifest(args.manifest)
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    missing = [p for p in args.photos if not os.path.isfile(p)]
    if missing:
        print(f'error: not files: {missing[:3]}', file=sys.stderr)
        return 2
    scores: List[Tuple[str, str, float]] = []
    leaks = find_leaks(args.photos, manifest, scores)
    if args.scores:
        for photo, listed, score in scores:
            print(f'{score:.3f}  {photo}  {listed}')
    for leak in leaks:
        print(f'leak: {leak.photo} is {leak.evaluation_photo}: {leak.reason}', file=sys.stderr)
    if leaks:
        print(f'error: {len(leaks)} of {len(args.photos)} training photos are evaluation photos ({args.manifest}); '
              f'drop them from the training set', file=sys.stderr)
        return 3
    print(f'{len(args.photos)} photos checked against {len(manifest)} evaluation photos: none is one of them')
    return 0


if __name__ == '__main__':
    sys.exit(main())
