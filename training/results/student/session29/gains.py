"""Session 29: each sequence's mean PSNR gain over its blurred frames for the restored frames in the named folders
beside blur/ (written by node training/build-card-targets.mjs --model M --folder F ROOT), and the mean per folder.
    cd training && PYTHONPATH=. /usr/bin/python3 results/student/session29/gains.py ROOT FOLDER [FOLDER ...]"""
import os
import sys

import numpy as np

from promotion.data.png import read_png


def psnr(x, g):
    return 10 * np.log10(1 / max(float(np.mean((x - g) ** 2)), 1e-10))


root, folders = sys.argv[1], sys.argv[2:]
totals = {f: [] for f in folders}
for name in sorted(os.listdir(root)):
    s = os.path.join(root, name)
    if not os.path.isdir(os.path.join(s, 'blur')):
        continue
    gains = {f: [] for f in folders}
    blurred = []
    for n in sorted(f for f in os.listdir(os.path.join(s, 'blur')) if f.endswith('.png')):
        sharp, smax = read_png(os.path.join(s, 'sharp', n))
        g = sharp / smax
        b, bmax = read_png(os.path.join(s, 'blur', n))
        pb = psnr(b / bmax, g)
        blurred.append(pb)
        for f in folders:
            r, rmax = read_png(os.path.join(s, f, n))
            gains[f].append(psnr(r / rmax, g) - pb)
    for f in folders:
        totals[f].append(np.mean(gains[f]))
    print(f'{name}: blurred {np.mean(blurred):.2f} dB, ' + ', '.join(f'{f} {np.mean(gains[f]):+.3f}' for f in folders))
print('mean: ' + ', '.join(f'{f} {np.mean(totals[f]):+.3f}' for f in folders))
