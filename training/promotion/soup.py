"""Weight interpolation of two models of the same network ("model soup", WiSE-FT): (1 - w) a + w b, parameter by
parameter, written as a weights-only checkpoint that python3 -m promotion.export reads. `a` and `b` are exported
models (card or .onnx) or training checkpoints; the soup's network is b's. Used to take part of a
fine-tuning run's gain while keeping the parent's restraint on sharp input (docs/deblur-model.md).

    cd training && /usr/bin/python3 -m promotion.soup ../models/promotion-c.json \\
        ../runs/promotion-c-long/checkpoints/iter_00001000.pt --weight 0.5 --out ../scratch/soup.pt
"""
import argparse
import os
import sys
from typing import List, Optional

import torch

from .evaluate import load_model


def soup(a: torch.nn.Module, b: torch.nn.Module, weight: float) -> dict:
    sa, sb = a.state_dict(), b.state_dict()
    if sa.keys() != sb.keys() or any(sa[k].shape != sb[k].shape for k in sa):
        raise ValueError('the two models are not the same network (their parameters differ in names or shapes)')
    return {k: (1 - weight) * v + weight * sb[k] if v.is_floating_point() else v for k, v in sa.items()}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m promotion.soup', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('a')
    parser.add_argument('b')
    parser.add_argument('--weight', type=float, required=True, help="b's share, in [0, 1]")
    parser.add_argument('--out', required=True, help='checkpoint to write (.pt)')
    args = parser.parse_args(argv)
    try:
        if not 0 <= args.weight <= 1:
            raise ValueError(f'--weight must be in [0, 1] but is {args.weight}')
        if os.path.exists(args.out):
            raise ValueError(f'{args.out} exists: choose another --out (nothing is overwritten)')
        (a, _), (b, b_state) = load_model(args.a), load_model(args.b)
        state = soup(a, b, args.weight)
    except (ValueError, OSError, RuntimeError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    network = b_state['network']
    tmp = args.out + '.tmp'
    torch.save({'iteration': 0, 'model': state, 'network': network,
                'soup': {'a': args.a, 'b': args.b, 'weight': args.weight}}, tmp)
    os.replace(tmp, args.out)
    print(f'wrote {args.out}: {1 - args.weight:g} x {args.a} + {args.weight:g} x {args.b}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
