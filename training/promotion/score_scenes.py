"""Scores models on windows rendered from a photo pack (promotion/data/gpu_scenes.py), side by side on the same
windows: each model's PSNR gain over the blurred centre frame, through the runtime's clamp (radius 3), per window and
in the mean. The windows come from iterations no training run reaches (seed 999, iterations from 10^6), so they are
fresh draws of the training distribution: this tells whether a model learned that distribution, not whether it
generalizes (the frozen yardstick does that).

    cd training && /usr/bin/python3 -m promotion.score_scenes --pack ../.gpu/photos \\
        --model ../models/promotion-c.json --model ../runs/promotion-c-gpu/checkpoints/iter_00001235.pt
"""
import argparse
import sys
from typing import List, Optional

import numpy as np
import torch

from .data.gpu_scenes import SceneBatches
from .evaluate import load_model
from .metrics import psnr
from .train import _forward


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m promotion.score_scenes', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--pack', required=True)
    parser.add_argument('--model', action='append', required=True, help='card, .onnx or checkpoint (repeatable)')
    parser.add_argument('--windows', type=int, default=20)
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        models = [load_model(m)[0] for m in args.model]
        batches = SceneBatches(args.pack, 4, 999, 0, 1, torch.device('cpu'), {'size': args.size})
    except (ValueError, OSError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    rows = []
    with torch.no_grad():
        for it in range((args.windows + 3) // 4):
            batch = batches.batch_at(10 ** 6 + it)
            for i in range(min(4, args.windows - 4 * it)):
                one = {k: v[i:i + 1] for k, v in batch.items()}
                blurred = psnr(one['frames'][:, 2], one['gt'])
                gains = [psnr(_forward(m, one, 3).clamp(0, 1), one['gt']) - blurred for m in models]
                rows.append([blurred] + gains)
                print(f'window {len(rows):3d}: blurred {blurred:6.2f} dB  ' +
                      '  '.join(f'{g:+.3f}' for g in gains), flush=True)
    mean = np.mean(rows, 0)
    print(f'mean over {len(rows)} windows: blurred {mean[0]:.2f} dB')
    for path, gain in zip(args.model, mean[1:]):
        print(f'  {path}: {gain:+.3f} dB')
    return 0


if __name__ == '__main__':
    sys.exit(main())
