"""How periodic is a sequence of frames? For each lag k, the median over i of the mean absolute grey difference
between frames i and i + k (0-255). A lag far below its neighbours means the sequence repeats itself at that period,
so its frames are fewer independent samples than they look.

    /usr/bin/python3 training/results/easy-sample-period/period.py \
        datasets/fpha-sample/Video_files/Subject_1/camera_shake/2/color [--max-lag 12]
"""
import argparse
import os
import statistics

import numpy as np
from PIL import Image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('folder', help='a folder of frames (sorted by name)')
    parser.add_argument('--max-lag', type=int, default=12)
    args = parser.parse_args()
    names = sorted(n for n in os.listdir(args.folder) if n.lower().endswith(('.png', '.jpg', '.jpeg')))
    if len(names) < 3:
        raise SystemExit(f'{args.folder}: fewer than 3 frames')
    frames = [np.asarray(Image.open(os.path.join(args.folder, n)).convert('L'), dtype=np.float64) for n in names]
    print(f'{args.folder}: {len(frames)} frames')
    print('lag  median mean |difference| (grey levels)  pairs')
    for lag in range(1, min(args.max_lag, len(frames) - 1) + 1):
        diffs = [float(np.abs(frames[i] - frames[i + lag]).mean()) for i in range(len(frames) - lag)]
        print(f'{lag:3d}  {statistics.median(diffs):8.2f}  {len(diffs):5d}')


if __name__ == '__main__':
    main()
