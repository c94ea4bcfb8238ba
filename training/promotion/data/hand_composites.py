"""Training stills with real hands: hand photos cut out and composited over training photos, for `promotion scenes`
to render with exact blur (training/build-hand-data.sh runs both).

    python3 -m promotion.data.hand_composites --hands PHOTO... --backgrounds DIR --manifest datasets/eval-photos.json \
        --out DIR --masks DIR [--count 24] [--size 640x480] [--seed 1] [--hands-per-still 16] [--hand-px 110,170]

Each still has a hand mask of the same name in --masks (RGB, white where a hand is): rendered by `promotion scenes`
with the same options and seed as the stills, it follows the same camera path and foreground, so every training
frame gets its hands' masks (hand_masks.py attaches them, the data loader turns them into the box of a whole hand
for the pose-aware loss).

Before anything is made, every hand photo and background is checked against the evaluation manifest
(holdout.py): one that is an evaluation photo stops the build (exit 3), so evaluation photos never reach training.

The hand is cut out much as datasets/hand-matte.ts does for the evaluation sample: skin is red-shifted, so on the
skin score (R - B) / R a hand before a plain, unsaturated wall separates from it (OpenCV's handSrc.jpg: skin about
0.25-0.4, the bluish wall about -0.1; the evaluation sample's palm: 0.55-0.8 against 0.1-0.15). The threshold is
the photo's own (Otsu's), alpha ramps over `SKIN_RAMP` around it; the largest connected region is the hand,
enclosed holes are filled, the edge is feathered, and the wall's share of the outline pixels is taken out (premultiplied foreground C - (1 - a) B, with B
the blurred wall colour around the hand) so that no pale fringe is carried over. Composited in linear light
(gamma 2.2).

Augmentation, drawn per still from (seed, index): the background and its cut (a region of the background photo
1-3 times the still's size, resized to it), then up to `--hands-per-still` hands (default 16), each: which hand
photo, a mirror image (left and right hands) with chance 1/2, a turn of -60..60 degrees, its longer side drawn in
`--hand-px` (default 110-170 px), its place (inside the still, clear of the hands already placed: a hand that finds
no clear place in 50 draws is left out) and a gain per colour channel of 0.85-1.15. Several separate hands per
still, so that `promotion scenes`' camera paths (rendered at native detail, `--detail 1`) keep a whole hand in a
training crop in many windows; MediaPipe's landmark network expects one hand filling much of its crop. `composites.json` records every choice and the source
of every photo.
"""
import argparse
import json
import os
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image
from scipy import ndimage

from .holdout import find_leaks, load_manifest

#: Width of the alpha ramp on the skin score, centred on the photo's Otsu threshold between skin and wall.
SKIN_RAMP = 0.1
#: The medians of the skin and wall scores must differ by at least this.
MIN_SEPARATION = 0.2
GAMMA = 2.2
PHOTO_SUFFIXES = ('.jpg', '.jpeg', '.png')


def _linear(rgb8: np.ndarray) -> np.ndarray:
    return (rgb8.astype(np.float32) / 255) ** GAMMA


def otsu(values: np.ndarray, bins: int = 256) -> float:
    """The threshold that maximizes the between-class variance of `values` (Otsu's method)."""
    hist, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres) / np.maximum(w0, 1)
    m1 = (np.sum(hist * centres) - np.cumsum(hist * centres)) / np.maximum(w1, 1)
    return float(centres[int(np.argmax(w0 * w1 * (m0 - m1) ** 2))])


def hand_cutout(rgb8: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(alpha [H, W] in [0, 1], premultiplied foreground [H, W, 3] in linear light) of a hand before a plain wall.
    ValueError when no skin region of at least 2% of the photo is found, or skin and wall do not separate."""
    rgb = rgb8.astype(np.float32)
    r, b = rgb[..., 0], rgb[..., 2]
    score = np.where(r > 0, (r - b) / np.maximum(r, 1), 0)
    middle = otsu(score)
    low, high = middle - SKIN_RAMP / 2, middle + SKIN_RAMP / 2
    wall, skin = score[score < middle], score[score >= middle]
    if wall.size == 0 or skin.size == 0 or np.median(skin) - np.median(wall) < MIN_SEPARATION:
        raise ValueError(f'skin and wall do not separate on the skin score (threshold {middle:.2f})')
    hard = score >= middle
    labels, count = ndimage.label(hard)
    if count == 0:
        raise ValueError('no skin-coloured region found')
    sizes = ndimage.sum(hard, labels, index=np.arange(1, count + 1))
    hand = labels == (1 + int(np.argmax(sizes)))
    if hand.mean() < 0.02:
        raise ValueError(f'the largest skin-coloured region covers {hand.mean():.1%} of the photo, under 2%')
    hand = ndimage.binary_fill_holes(hand)
    inner = ndimage.binary_erosion(hand, iterations=2)
    near = ndimage.binary_dilation(hand, iterations=2)
    ramp = np.clip((score - low) / (high - low), 0, 1)
    alpha = np.where(inner, 1.0, np.where(near, ramp, 0.0)).astype(np.float32)
    alpha = ndimage.uniform_filter(alpha, 3)
    linear = _linear(rgb8)
    outside = (~near).astype(np.float32)
    weight = ndimage.uniform_filter(outside, 17)
    wall = np.stack([ndimage.uniform_filter(linear[..., c] * outside, 17) for c in range(3)], axis=-1)
    wall = wall / np.maximum(weight, 1e-6)[..., None]
    premultiplied = np.clip(linear - (1 - alpha[..., None]) * wall, 0, None) * (alpha[..., None] > 0)
    return alpha, premultiplied.astype(np.float32)


def _load(path: str) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert('RGB'))


def _resize(array: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Float [H, W] or [H, W, C] array resized to (width, height), bilinear."""
    if array.ndim == 2:
        return np.asarray(Image.fromarray(array).resize(size, Image.BILINEAR))
    return np.stack([np.asarray(Image.fromarray(array[..., c]).resize(size, Image.BILINEAR)) for c in
                     range(array.shape[2])], axis=-1)


def _rotate(array: np.ndarray, degrees: float) -> np.ndarray:
    if array.ndim == 2:
        return np.asarray(Image.fromarray(array).rotate(degrees, Image.BILINEAR, expand=True))
    return np.stack([_rotate(array[..., c], degrees) for c in range(array.shape[2])], axis=-1)


def _overlaps(box: List[int], boxes: List[List[int]]) -> bool:
    x, y, w, h = box
    return any(x < bx + bw and bx < x + w and y < by + bh and by < y + h for bx, by, bw, bh in boxes)


def _place_hand(canvas: np.ndarray, hand: Tuple[np.ndarray, np.ndarray], side_px: float,
                rng: np.random.Generator, taken: List[List[int]], mask: Optional[np.ndarray] = None) -> Optional[Dict]:
    """Composites one hand (mirrored with chance 1/2, turned -60..60 degrees, its longer side `side_px`, a gain
    per colour channel) at a random place inside `canvas` (linear light, changed in place) clear of the boxes in
    `taken` (up to 50 places drawn), and its alpha into `mask`; returns the choices, or None when no clear place
    was drawn."""
    alpha, fg = hand
    mirrored = bool(rng.random() < 0.5)
    if mirrored:
        alpha, fg = alpha[:, ::-1].copy(), fg[:, ::-1].copy()
    turn = float(rng.uniform(-60, 60))
    alpha, fg = _rotate(alpha, turn), _rotate(fg, turn)
    ys, xs = np.nonzero(alpha > 0.01)
    alpha, fg = alpha[ys.min():ys.max() + 1, xs.min():xs.max() + 1], fg[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    height, width = canvas.shape[:2]
    scale = min(side_px, width, height) / max(alpha.shape)
    hw, hh = max(1, round(alpha.shape[1] * scale)), max(1, round(alpha.shape[0] * scale))
    alpha, fg = np.clip(_resize(alpha, (hw, hh)), 0, 1), np.clip(_resize(fg, (hw, hh)), 0, None)
    gains = rng.uniform(0.85, 1.15, 3).astype(np.float32)
    for _ in range(50):
        x0, y0 = int(rng.integers(0, width - hw + 1)), int(rng.integers(0, height - hh + 1))
        if not _overlaps([x0, y0, hw, hh], taken):
            break
    else:
        return None
    taken.append([x0, y0, hw, hh])
    region = canvas[y0:y0 + hh, x0:x0 + hw]
    canvas[y0:y0 + hh, x0:x0 + hw] = fg * gains + (1 - alpha[..., None]) * region
    if mask is not None:
        mask[y0:y0 + hh, x0:x0 + hw] = np.maximum(mask[y0:y0 + hh, x0:x0 + hw], alpha)
    return {'mirrored': mirrored, 'turnDegrees': round(turn, 2), 'boxPx': [x0, y0, hw, hh],
            'channelGains': [round(float(g), 3) for g in gains]}


def composite(hands: Sequence[Tuple[np.ndarray, np.ndarray]], background8: np.ndarray, size: Tuple[int, int],
              hands_per_still: int, hand_px: Tuple[float, float],
              rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray, Dict]:
    """One still [H, W, 3] uint8 holding `hands_per_still` hands (each drawn from `hands`, longer side drawn in
    `hand_px`) over a cut of the background, its hand mask [H, W] uint8 (the hands' alpha, 255 = hand), and the
    choices made."""
    width, height = size
    bh, bw = background8.shape[:2]
    cut = float(rng.uniform(1, 3))
    cw, ch = min(bw, round(width * cut)), min(bh, round(height * cut))
    cw, ch = min(cw, round(ch * width / height)), min(ch, round(cw * height / width))
    bx, by = int(rng.integers(0, bw - cw + 1)), int(rng.integers(0, bh - ch + 1))
    canvas = _linear(np.asarray(Image.fromarray(background8[by:by + ch, bx:bx + cw]).resize(size, Image.BOX)))
    placed: List[Dict] = []
    taken: List[List[int]] = []
    mask = np.zeros((height, width), np.float32)
    for _ in range(hands_per_still):
        h = int(rng.integers(len(hands)))
        choices = _place_hand(canvas, hands[h], float(rng.uniform(*hand_px)), rng, taken, mask)
        if choices is not None:
            placed.append({'hand': h, **choices})
    still = np.round(np.clip(canvas, 0, 1) ** (1 / GAMMA) * 255).astype(np.uint8)
    return still, np.round(mask * 255).astype(np.uint8), {'backgroundCutPx': [bx, by, cw, ch], 'hands': placed}


def photos_in(paths: Sequence[str]) -> List[str]:
    out = []
    for p in paths:
        if os.path.isdir(p):
            out.extend(sorted(os.path.join(p, n) for n in os.listdir(p) if n.lower().endswith(PHOTO_SUFFIXES)))
        elif os.path.isfile(p):
            out.append(p)
        else:
            raise ValueError(f'{p} is neither a photo nor a folder')
    return out


def build(hands: Sequence[str], backgrounds: Sequence[str], manifest: str, out: str, masks_out: str, count: int,
          size: Tuple[int, int], seed: int, hands_per_still: int = 16,
          hand_px: Tuple[float, float] = (110, 170)) -> List[Dict]:
    hand_paths, background_paths = photos_in(hands), photos_in(backgrounds)
    if not hand_paths or not background_paths:
        raise ValueError(f'no photos found (hands: {hands}, backgrounds: {backgrounds})')
    leaks = find_leaks(hand_paths + background_paths, load_manifest(manifest))
    if leaks:
        raise LeakError(leaks)
    cutouts = []
    for p in hand_paths:
        try:
            cutouts.append(hand_cutout(_load(p)))
        except ValueError as error:
            raise ValueError(f'{p}: {error} (a hand before a plain, unsaturated wall is expected)') from error
    os.makedirs(out, exist_ok=True)
    os.makedirs(masks_out, exist_ok=True)
    records = []
    cache: Dict[str, np.ndarray] = {}
    for i in range(count):
        rng = np.random.default_rng([seed, i])
        b = int(rng.integers(len(background_paths)))
        if background_paths[b] not in cache:
            cache[background_paths[b]] = _load(background_paths[b])
        still, mask, choices = composite(cutouts, cache[background_paths[b]], size, hands_per_still, hand_px, rng)
        name = f'hand_{i:05d}.png'
        Image.fromarray(still).save(os.path.join(out, name))
        Image.fromarray(mask).convert('RGB').save(os.path.join(masks_out, name))
        records.append({'file': name, 'background': os.path.realpath(background_paths[b]), 'seed': [seed, i],
                        **choices})
    with open(os.path.join(out, 'composites.json'), 'w') as f:
        json.dump({'size': list(size), 'seed': seed, 'manifest': os.path.abspath(manifest),
                   'handPhotos': [os.path.realpath(p) for p in hand_paths], 'stills': records}, f, indent=1)
    return records


class LeakError(ValueError):
    def __init__(self, leaks) -> None:
        super().__init__('; '.join(f'{x.photo} is {x.evaluation_photo}: {x.reason}' for x in leaks))
        self.leaks = leaks


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m promotion.data.hand_composites', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--hands', nargs='+', required=True, help='hand photos or folders of them')
    parser.add_argument('--backgrounds', nargs='+', required=True, help='training photos or folders of them')
    parser.add_argument('--manifest', required=True, help='the evaluation photos manifest (holdout.py)')
    parser.add_argument('--out', required=True, help='folder of the stills')
    parser.add_argument('--masks', required=True, help='folder of their hand masks (same names; white = hand)')
    parser.add_argument('--count', type=int, default=24)
    parser.add_argument('--size', default='640x480')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--hands-per-still', type=int, default=16)
    parser.add_argument('--hand-px', default='110,170', help='range of a hand\'s longer side, pixels of the still')
    args = parser.parse_args(argv)
    try:
        w, h = (int(v) for v in args.size.lower().split('x'))
        if w < 64 or h < 64:
            raise ValueError
    except ValueError:
        print(f'error: expected --size WxH of at least 64x64 but received {args.size!r}', file=sys.stderr)
        return 2
    try:
        lo, hi = (float(v) for v in args.hand_px.split(','))
        if not 16 <= lo <= hi:
            raise ValueError
    except ValueError:
        print(f'error: expected --hand-px MIN,MAX with 16 <= MIN <= MAX but received {args.hand_px!r}', file=sys.stderr)
        return 2
    if args.hands_per_still < 1 or args.count < 1:
        print('error: --count and --hands-per-still must be at least 1', file=sys.stderr)
        return 2
    try:
        records = build(args.hands, args.backgrounds, args.manifest, args.out, args.masks, args.count, (w, h), args.seed,
                        args.hands_per_still, (lo, hi))
    except LeakError as error:
        print(f'error: evaluation photos among the training photos, nothing built: {error}', file=sys.stderr)
        return 3
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    print(f'{len(records)} stills -> {args.out} (hand photos and backgrounds checked against {args.manifest}: none '
          f'is an evaluation photo)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
