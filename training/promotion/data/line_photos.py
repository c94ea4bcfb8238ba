"""Procedural "photos" of thin lines over flat ground, for training windows of the content the shipped network both
fails to restore and harms (docs/deblur-model.md, session 17): cables over a sky (the test set's *Bridge*), stalks
and wires over smooth gradients (the probe's grass over sky). Nothing is copied from anywhere, so there is no
licence to record; each image depends only on the seed and its index.

Each image: a smooth two- or three-colour gradient ground with low-frequency shading and mild grain, then groups of
anti-aliased lines (straight bundles of 1-4 parallel cables, gently curved stalks fanning from the bottom edge,
sparse isolated wires), 1-7 px wide at full resolution, darker or brighter than the ground. Drawn at twice the size
and downsampled for anti-aliasing.

    cd training && /usr/bin/python3 -m promotion.data.line_photos ../.train-data/line-photos --count 24 --seed 5
    node ../dist/src/cli/main.js scenes ../.train-data/line-photos -o ../.train-data/v2/lines --count 160 --seed 29 \\
        --frames 9 --size 192x192 --detail 0.35,1
"""
import argparse
import math
import os
from typing import Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

Colour = Tuple[int, int, int]


def _ground(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A smooth gradient with low-frequency shading: float32 RGB in [0, 255]."""
    stops = rng.uniform(40, 235, size=(int(rng.integers(2, 4)), 3))
    angle = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = (xx * math.cos(angle) + yy * math.sin(angle))
    t = (t - t.min()) / max(1e-6, float(t.max() - t.min()))
    pos = t * (len(stops) - 1)
    i = np.clip(pos.astype(np.int32), 0, len(stops) - 2)
    f = (pos - i)[..., None]
    img = stops[i] * (1 - f) + stops[i + 1] * f
    # Low-frequency shading: a coarse noise field upsampled smoothly.
    coarse = rng.normal(0, 1, size=(6, 8)).astype(np.float32)
    shade = np.asarray(Image.fromarray(coarse).resize((w, h), Image.BICUBIC), dtype=np.float32)
    img = img * (1 + 0.06 * shade[..., None])
    return np.clip(img, 0, 255).astype(np.float32)


def _line_colour(rng: np.random.Generator, ground_mean: float) -> Colour:
    if ground_mean > 110 and rng.random() < 0.8:
        base = rng.uniform(5, 70)  # dark on light ground, as cables against a sky
    else:
        base = rng.uniform(190, 250)
    tint = rng.uniform(-20, 20, size=3)
    return tuple(int(np.clip(base + t, 0, 255)) for t in tint)  # type: ignore[return-value]


def render(seed: int, index: int, size: Tuple[int, int] = (3200, 2400)) -> Image.Image:
    """One image; the same seed and index give the same pixels."""
    rng = np.random.default_rng([seed, index])
    w, h = size
    s = 2  # drawn at twice the size, then downsampled
    ground = _ground(rng, w * s, h * s)
    canvas = Image.fromarray(ground.astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    mean = float(ground.mean())
    for _ in range(int(rng.integers(4, 10))):
        kind = rng.choice(['bundle', 'stalks', 'wire'], p=[0.4, 0.35, 0.25])
        colour = _line_colour(rng, mean)
        if kind == 'bundle':
            # 1-4 parallel straight cables crossing the image.
            angle = rng.uniform(0, math.pi)
            cx, cy = rng.uniform(0, w * s), rng.uniform(0, h * s)
            dx, dy = math.cos(angle), math.sin(angle)
            spacing = rng.uniform(6, 40) * s
            width = int(rng.integers(1, 8)) * s
            for k in range(int(rng.integers(1, 5))):
                ox, oy = -dy * spacing * k, dx * spacing * k
                L = 2 * (w + h) * s
                draw.line([(cx + ox - dx * L, cy + oy - dy * L), (cx + ox + dx * L, cy + oy + dy * L)], fill=colour, width=width)
        elif kind == 'stalks':
            # Gently curved stalks rising from the bottom edge, fanning out.
            for _ in range(int(rng.integers(8, 40))):
                x0 = rng.uniform(0, w * s)
                height = rng.uniform(0.2, 0.8) * h * s
                lean = rng.uniform(-0.5, 0.5)
                bend = rng.uniform(-0.3, 0.3)
                width = int(rng.integers(1, 6)) * s
                pts = []
                for j in range(17):
                    t = j / 16
                    pts.append((x0 + (lean * t + bend * t * t) * height, h * s - t * height))
                draw.line(pts, fill=_line_colour(rng, mean) if rng.random() < 0.3 else colour, width=width, joint='curve')
        else:
            # One long sagging wire (a catenary-like arc).
            x0, x1 = rng.uniform(-0.2, 0.5) * w * s, rng.uniform(0.5, 1.2) * w * s
            y0, y1 = rng.uniform(0, h * s), rng.uniform(0, h * s)
            sag = rng.uniform(0.02, 0.2) * h * s
            width = int(rng.integers(1, 5)) * s
            pts = [(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t + sag * 4 * t * (1 - t)) for t in np.linspace(0, 1, 33)]
            draw.line(pts, fill=colour, width=width, joint='curve')
    img = canvas.filter(ImageFilter.GaussianBlur(0.6 * s)).resize((w, h), Image.LANCZOS)
    arr = np.asarray(img, dtype=np.float32)
    arr = arr + rng.normal(0, rng.uniform(0.5, 2.0), size=arr.shape).astype(np.float32)  # mild sensor grain
    return Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out', help='folder to write line_NNNN.png into (created; existing images are kept)')
    parser.add_argument('--count', type=int, default=24)
    parser.add_argument('--seed', type=int, default=5)
    parser.add_argument('--size', default='3200x2400', help='WIDTHxHEIGHT of each image')
    args = parser.parse_args()
    try:
        w, h = (int(v) for v in args.size.split('x'))
    except ValueError:
        parser.error(f'--size: expected WIDTHxHEIGHT, got {args.size}')
    if args.count < 1 or w < 64 or h < 64:
        parser.error('--count must be at least 1 and --size at least 64x64')
    os.makedirs(args.out, exist_ok=True)
    for i in range(args.count):
        path = os.path.join(args.out, f'line_{i:04d}.png')
        if os.path.exists(path):
            continue
        tmp = path + '.part.png'
        render(args.seed, i, (w, h)).save(tmp)
        os.replace(tmp, path)
    print(f'{args.count} images in {args.out}')


if __name__ == '__main__':
    main()
