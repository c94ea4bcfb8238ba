"""The most any network can gain through the runtime's clamp: each sequence's sharp frames clamped to the blurred
frames' local range (promotion/local_range.py, as deblur() clamps a restored frame), scored as the yardstick scores a
model (mean PSNR over the frames, 8-bit, minus the blurred input's). A network's gain against this ceiling says
whether the clamp or the network holds the restoration back.

    cd training && /usr/bin/python3 -m promotion.clamp_ceiling ../.yardstick/test --radii 1,2,3,6,12 \\
        --out results/clamp-ceiling/test.json
"""
import argparse
import json
import os
import sys
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch

from .frame_val import _frames, _psnr, find_sequences
from .local_range import clamp_to_local_range


def ceiling(blurred: torch.Tensor, sharp: torch.Tensor, radius: int) -> float:
    """Mean PSNR (dB) over the frames of uint8 [T, 3, H, W] `sharp` clamped to `blurred`'s local range."""
    scores = []
    for k in range(sharp.shape[0]):
        clamped = clamp_to_local_range(sharp[k:k + 1].float() / 255, blurred[k:k + 1].float() / 255, radius)
        scores.append(_psnr(torch.round(clamped[0] * 255).to(torch.uint8), sharp[k]))
    return float(np.mean(scores))


def measure(root: str, radii: Sequence[int]) -> Dict[str, Any]:
    """Per sequence: the blurred input's PSNR and the ceiling's gain over it at each radius; and the means per kind."""
    rows: List[Dict[str, Any]] = []
    for info in find_sequences(root):
        blurred = _frames(os.path.join(info['folder'], 'blur'))
        sharp = _frames(os.path.join(info['folder'], 'sharp'))
        if blurred.shape != sharp.shape:
            raise ValueError(f'{info["folder"]}: blur/ and sharp/ hold frames of different counts or sizes')
        blurred_db = float(np.mean([_psnr(blurred[k], sharp[k]) for k in range(sharp.shape[0])]))
        rows.append({'id': info['id'], 'kind': info['kind'], 'blurred_db': blurred_db,
                     'gain_db': {str(r): ceiling(blurred, sharp, r) - blurred_db for r in radii}})
    means = {kind: {str(r): float(np.mean([row['gain_db'][str(r)] for row in rows if kind == 'all' or row['kind'] == kind]))
                    for r in radii}
             for kind in sorted({row['kind'] for row in rows}) + ['all']}
    return {'root': root, 'radii': list(radii), 'sequences': rows, 'mean_gain_db': means}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m promotion.clamp_ceiling', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='a yardstick set (.yardstick/test)')
    parser.add_argument('--radii', default='1,2,3,6,12', help='clamp radii, comma-separated (default 1,2,3,6,12)')
    parser.add_argument('--out', help='write the result as JSON here')
    args = parser.parse_args(argv)
    try:
        radii = [int(r) for r in args.radii.split(',')]
        if not radii or any(r < 1 for r in radii):
            raise ValueError(f'--radii {args.radii}: expected integers of 1 or more (0 is no clamp: no ceiling)')
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    try:
        result = measure(args.root, radii)
    except (ValueError, OSError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    print('sequence'.ljust(22) + 'blurred'.rjust(9) + ''.join(f'r={r}'.rjust(9) for r in radii))
    for row in result['sequences']:
        print(row['id'].ljust(22) + f'{row["blurred_db"]:9.2f}' + ''.join(f'{row["gain_db"][str(r)]:+9.2f}' for r in radii))
    for kind, gains in result['mean_gain_db'].items():
        print(f'mean {kind}'.ljust(31) + ''.join(f'{gains[str(r)]:+9.2f}' for r in radii))
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        partial = args.out + '.partial'
        with open(partial, 'w') as f:
            json.dump(result, f, indent=1)
        os.replace(partial, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
