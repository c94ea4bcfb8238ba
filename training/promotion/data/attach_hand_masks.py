"""python3 -m promotion.data.attach_hand_masks SCENES MASK_SCENES: hand_masks.attach() from the command line (its
module comment says what it checks and writes). Exit 0, or 2 naming the first sequence that differs."""
import sys
from typing import List, Optional

from .hand_masks import attach


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0].startswith('-'):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        n = attach(args[0], args[1])
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    print(f'hand masks attached to {n} sequences of {args[0]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
