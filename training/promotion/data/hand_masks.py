"""Attaches hand masks to rendered training sequences, and turns a mask crop into the box of a whole hand.

`promotion scenes` rendered twice with the same options and seed, once over the hand composites and once over
their masks (hand_composites.py), draws the same scenes: the spec (camera path, foreground disc) depends only on
the seed, the scene index and the photos' sizes. So the mask render's sharp frames are the hands' masks of the
composite render's frames.

    python3 -m promotion.data.attach_hand_masks SCENES MASK_SCENES

checks, for every sequence of SCENES, that MASK_SCENES holds the same scene (synthesis.json's spec, photo paths
aside), and writes its sharp frames as 8-bit grey PNGs into the sequence's `hands/` folder (255 = hand). Exit 0,
or 2 naming the first sequence that differs. The data loader (SequenceDataset) reads `hands/` when it is there.
"""
import json
import os
from typing import Any, List, Optional

import numpy as np
from PIL import Image
from scipy import ndimage

from .png import read_png

#: A mask pixel at or above this is hand.
MASK_THRESHOLD = 0.5
#: A hand region must cover at least this many pixels of the crop to count.
MIN_HAND_PIXELS = 400


def _without_photos(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_photos(v) for k, v in value.items() if k not in ('photo', 'createdAt')}
    if isinstance(value, list):
        return [_without_photos(v) for v in value]
    return value


def attach(scenes: str, mask_scenes: str) -> int:
    """Writes hands/ into every sequence of `scenes`; returns how many. ValueError naming a sequence whose mask
    render differs or is missing."""
    from . import find_sequences
    count = 0
    for folder in find_sequences(scenes):
        rel = os.path.relpath(folder, scenes)
        other = os.path.join(mask_scenes, rel)
        try:
            with open(os.path.join(folder, 'synthesis.json')) as f:
                a = json.load(f)
            with open(os.path.join(other, 'synthesis.json')) as f:
                b = json.load(f)
        except FileNotFoundError as error:
            raise ValueError(f'{rel}: no mask render at {other} (render the masks with the same options and '
                             f'seed)') from error
        if _without_photos(a.get('scene')) != _without_photos(b.get('scene')) or a.get('frames') != b.get('frames'):
            raise ValueError(f'{rel}: the mask render draws another scene than {folder} (same options and seed '
                             f'and photos of the same sizes are needed)')
        os.makedirs(os.path.join(folder, 'hands'), exist_ok=True)
        for name in sorted(os.listdir(os.path.join(folder, 'sharp'))):
            if not name.endswith('.png'):
                continue
            mask, peak = read_png(os.path.join(other, 'sharp', name))
            grey = mask[..., 0] if mask.ndim == 3 else mask
            Image.fromarray(np.round(grey.astype(np.float64) / peak * 255).astype(np.uint8)).save(
                os.path.join(folder, 'hands', name))
        count += 1
    return count


def whole_hand_box(mask: np.ndarray) -> Optional[List[float]]:
    """The box [x0, y0, x1, y1] (pixel edges) of the largest hand region of a mask crop [H, W] in [0, 1] that
    does not touch the crop's border (a whole hand), or None."""
    hand = mask >= MASK_THRESHOLD
    labels, count = ndimage.label(hand)
    best, best_size = None, 0
    for index, region in enumerate(ndimage.find_objects(labels), start=1):
        if region is None:
            continue
        ys, xs = region
        if ys.start == 0 or xs.start == 0 or ys.stop == mask.shape[0] or xs.stop == mask.shape[1]:
            continue
        size = int((labels[region] == index).sum())
        if size >= MIN_HAND_PIXELS and size > best_size:
            best, best_size = [float(xs.start), float(ys.start), float(xs.stop), float(ys.stop)], size
    return best
