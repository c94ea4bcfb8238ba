"""Times the pose-aware loss term (losses/pose.py) per training batch, forward and backward, on random restored
crops around a real hand (the embedded FPHA sample's open palm, hand_wave/2's first frame, tiled to the batch), so
that a training plan can budget it:

    python3 -m promotion.handpose.timing [--batch 8] [--crop 160] [--threads 2] [--repeats 5]

Prints one line per variant: the median seconds per batch and the share of the batch whose sharp crop held a hand.
"""
import argparse
import os
import statistics
import sys
import time
from typing import List, Optional

import numpy as np
import torch
from PIL import Image

from ..losses.pose import HandPoseLoss

_FRAME = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'datasets', 'fpha-sample',
                      'Video_files', 'Subject_1', 'hand_wave', '2', 'color', 'color_0000.jpeg')


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m promotion.handpose.timing', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--crop', type=int, default=160)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=5)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rgb = np.asarray(Image.open(_FRAME).convert('RGB'), dtype=np.float32) / 255
    h, w = rgb.shape[:2]
    if args.crop > min(h, w):
        print(f'error: --crop {args.crop} is larger than the sample frame ({w}x{h})', file=sys.stderr)
        return 2
    y0, x0 = (h - args.crop) // 2, (w - args.crop) // 2
    sharp = torch.from_numpy(np.ascontiguousarray(rgb[y0:y0 + args.crop, x0:x0 + args.crop])).permute(2, 0, 1)
    sharp = sharp[None].repeat(args.batch, 1, 1, 1)
    g = torch.Generator().manual_seed(0)
    for variant in ('lite', 'full'):
        loss = HandPoseLoss(variant)
        times, hands = [], 0.0
        for _ in range(args.repeats + 1):
            restored = (sharp + 0.05 * torch.randn(sharp.shape, generator=g)).requires_grad_(True)
            start = time.perf_counter()
            value, parts = loss(restored, sharp)
            value.backward()
            times.append(time.perf_counter() - start)
            hands = parts['pose_hands']
        print(f'{variant}: {statistics.median(times[1:]):.2f} s per batch of {args.batch} x {args.crop} px crops '
              f'(forward + backward, {args.threads} threads, median of {args.repeats}); hands found in '
              f'{hands:.0%} of the batch')
    return 0


if __name__ == '__main__':
    sys.exit(main())
