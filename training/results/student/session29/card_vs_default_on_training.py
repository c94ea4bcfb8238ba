"""Session 29: the card's and the default's gain on a few training sequences (192x192, v2), after
`node training/build-card-targets.mjs ROOT` and `node training/build-card-targets.mjs --model promotion-c --folder default ROOT`
on a folder of copies of those sequences. Prints each sequence's mean PSNR gain over its blurred frames.
    cd training && PYTHONPATH=. /usr/bin/python3 results/student/session29/card_vs_default_on_training.py ROOT"""
import json
import os
import sys

import numpy as np

from promotion.data.png import read_png


def psnr(x, g):
    return 10 * np.log10(1 / max(float(np.mean((x - g) ** 2)), 1e-10))


root = sys.argv[1]
for name in sorted(os.listdir(root)):
    s = os.path.join(root, name)
    rows = []
    for n in sorted(f for f in os.listdir(os.path.join(s, 'blur')) if f.endswith('.png')):
        read = {k: read_png(os.path.join(s, k, n)) for k in ('blur', 'sharp', 'card', 'default')}
        x = {k: v[0] / v[1] for k, v in read.items()}
        rows.append((psnr(x['blur'], x['sharp']), psnr(x['card'], x['sharp']), psnr(x['default'], x['sharp'])))
    r = np.array(rows)
    scene = json.load(open(os.path.join(s, 'synthesis.json')))['scene']
    v = scene.get('camera', {}).get('velocity', {})
    print(f'{name} camera ({v.get("x", 0):.1f}, {v.get("y", 0):.1f}) px/frame{" + foreground" if scene.get("foreground") else ""}: '
          f'blurred {r[:, 0].mean():.2f} dB, card {r[:, 1].mean() - r[:, 0].mean():+.2f}, default {r[:, 2].mean() - r[:, 0].mean():+.2f}')
