"""How many training windows the pose-aware loss can use: over every window of the given dataset roots (random
crops and flips as in training, seed 0), the share with a whole hand in its crop (the loader's handBox, from hand
masks) and the share in which the loss finds a hand in the sharp crop (presence >= 0.5), with and without the
boxes, for each MediaPipe variant and each number of tracking steps asked for:

    python3 -m promotion.handpose.coverage ROOT [ROOT ...] [--crop 160] [--track-steps 0,2] [--threads 2]
"""
import argparse
import sys
from typing import List, Optional

import torch

from ..data import SequenceDataset
from ..losses.pose import HandPoseLoss


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m promotion.handpose.coverage', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('roots', nargs='+')
    parser.add_argument('--crop', type=int, default=160)
    parser.add_argument('--track-steps', default='0,2')
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        steps = [int(v) for v in args.track_steps.split(',')]
        ds = SequenceDataset(args.roots, crop=args.crop, augment=True, seed=0)
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    items = [ds[i] for i in range(len(ds))]
    boxes = torch.stack([x['handBox'] for x in items])
    sharp = torch.stack([x['gt'] for x in items])
    boxed = int(((boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])).sum())
    print(f'{len(items)} windows ({args.crop} px crops), {boxed} with a whole hand in the crop ({boxed / len(items):.0%})')
    for variant in ('lite', 'full'):
        for k in steps:
            loss = HandPoseLoss(variant, track_steps=k)
            found = []
            for given in (boxes, None):
                total = 0.0
                for start in range(0, len(items), 16):
                    part = sharp[start:start + 16]
                    _, parts = loss(part, part, None if given is None else given[start:start + 16])
                    total += parts['pose_hands'] * part.shape[0]
                found.append(total / len(items))
            print(f'{variant}, track_steps {k}: a hand found in {found[0]:.1%} of the windows with the boxes, '
                  f'{found[1]:.1%} without')
    return 0


if __name__ == '__main__':
    sys.exit(main())
