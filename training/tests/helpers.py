"""Shared test helpers: tiny networks and a tiny synthetic dataset in the `promotion synth` layout."""
import json
import os

import numpy as np
import torch
from PIL import Image

torch.set_num_threads(2)

#: A network small enough for CPU tests (promotion-s with fewer/narrower layers).
TINY = dict(num_feat=16, num_extract_block=1, num_reconstruct_block=2, deformable_groups=8)


def inputs(b=1, h=32, w=32, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    bw = torch.rand(b, 5, generator=g) + 0.5
    return (torch.rand(b, 5, 3, h, w, generator=g).to(dtype), torch.rand(b, 1, h, w, generator=g).to(dtype),
            (bw * 5 / bw.sum(1, keepdim=True)).to(dtype), (torch.rand(b, 5, generator=g) * 0.2 + 0.01).to(dtype))


def write_config(path, cfg):
    """Writes a training config (a dict) as YAML to `path` and returns `path`."""
    import yaml
    with open(path, 'w') as f:
        yaml.safe_dump(cfg, f)
    return path


def write_png(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if array.dtype == np.uint16 and array.ndim == 2:
        Image.fromarray(array.astype(np.uint16), mode='I;16').save(path)
    else:
        Image.fromarray(array).save(path)


def make_dataset(root, sequences=2, frames=6, size=48, seed=0):
    """Sequences of a textured image panning right by 2 px per frame; blurred = box blur along the motion (5 px)
    brightened (0.9 x + 0.1, a degradation a few iterations can learn to undo, so a 20-iteration
    run shows the loss falling); motion maps = 1 where the texture moves (all but a still band at the top)."""
    rng = np.random.default_rng(seed)
    for s in range(sequences):
        folder = os.path.join(root, f'seq{s}')
        texture = rng.random((size // 4, size // 4 + frames, 3))
        texture = np.kron(texture, np.ones((4, 4, 1)))  # 4 px blocks
        for i in range(frames):
            sharp = texture[:, 2 * i:2 * i + size][:size]
            sharp = np.pad(sharp, ((0, 0), (0, max(0, size - sharp.shape[1])), (0, 0)), mode='edge')
            blur = sum(np.roll(sharp, d, axis=1) for d in range(-2, 3)) / 5
            blur[:8] = sharp[:8]
            blur = 0.9 * blur + 0.1
            motion = np.ones((size, size))
            motion[:8] = 0
            name = f'{i:04d}.png'
            write_png(os.path.join(folder, 'sharp', name), np.round(sharp * 255).astype(np.uint8))
            write_png(os.path.join(folder, 'blur', name), np.round(blur * 255).astype(np.uint8))
            write_png(os.path.join(folder, 'motion', name), np.round(motion * 65535).astype(np.uint16))
        with open(os.path.join(folder, 'synthesis.json'), 'w') as f:
            json.dump({'frames': frames, 'motionMaps': {'kind': 'magnitude'}}, f)
    return root
