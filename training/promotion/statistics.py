"""Per-frame statistics that the network takes as inputs (models/README.md), computed over whole frames.
The TypeScript twin is src/deblur/statistics.ts; training/tests/data/statistics-vector.json keeps them equal.

- grey: BT.601 of the gamma-encoded RGB samples divided by the sample maximum (255 or 65535), in [0, 1], float64.
- contrastScale (Eq. 2's denominator): the maximum over the frame of Eq. 1, the mean of the squared differences to
  the 4 neighbours, a neighbour outside the frame taken equal to the edge pixel (replication).
- Laplacian variance: the 3x3 Laplacian [[0,1,0],[1,-4,1],[0,1,0]] at the interior pixels (no padding; frames
  need at least 3x3 pixels), population variance (divided by the count).
- blurWeights (Eq. 4): 5 * v_i^-1 / sum_j v_j^-1 with v_i = max(Laplacian variance, VARIANCE_FLOOR): sums to 5,
  and the blurriest frame gets the largest weight. All-flat windows give 1 for every frame.
"""
from typing import Sequence

import numpy as np
import torch
from torch.nn import functional as F

BT601 = (0.299, 0.587, 0.114)

#: Floor on the Laplacian variance (grey in [0, 1]) so a flat frame gets a finite weight.
VARIANCE_FLOOR = 1e-12


def grey_unit(rgb: np.ndarray, sample_max: float) -> np.ndarray:
    """[H, W, 3] RGB samples (uint8/uint16 or float) -> [H, W] float64 grey in [0, 1] with BT.601."""
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f'Expected an [H, W, 3] RGB array but received shape {rgb.shape}')
    x = rgb.astype(np.float64)
    return (BT601[0] * x[..., 0] + BT601[1] * x[..., 1] + BT601[2] * x[..., 2]) / float(sample_max)


def _check_grey(g: np.ndarray, name: str) -> None:
    if g.ndim != 2 or g.shape[0] < 3 or g.shape[1] < 3:
        raise ValueError(f'{name} needs a 2-D grey image of at least 3x3 pixels but received shape {g.shape}')


def contrast_scale(g: np.ndarray) -> float:
    """Maximum of Eq. 1 over the whole grey frame g (float64, [0, 1])."""
    _check_grey(g, 'contrast_scale')
    p = np.pad(g, 1, mode='edge')
    c = ((g - p[:-2, 1:-1]) ** 2 + (g - p[2:, 1:-1]) ** 2 + (g - p[1:-1, :-2]) ** 2 + (g - p[1:-1, 2:]) ** 2) * 0.25
    return float(c.max())


def laplacian_variance(g: np.ndarray) -> float:
    """Population variance of the 3x3 Laplacian of g over its interior pixels."""
    _check_grey(g, 'laplacian_variance')
    lap = g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:] - 4.0 * g[1:-1, 1:-1]
    return float(lap.var())


def blur_weights_from_variances(variances: Sequence[float]) -> np.ndarray:
    """Eq. 4 from the Laplacian variances of the window's frames."""
    v = np.maximum(np.asarray(variances, dtype=np.float64), VARIANCE_FLOOR)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(f'Expected a non-empty list of variances but received {variances!r}')
    inv = 1.0 / v
    return v.size * inv / inv.sum()


def blur_weights(greys: Sequence[np.ndarray]) -> np.ndarray:
    """Eq. 4 over a window of whole grey frames."""
    return blur_weights_from_variances([laplacian_variance(g) for g in greys])


# The same definitions over batches of torch tensors [..., H, W] on any device (training windows rendered on a GPU,
# promotion/data/gpu_scenes.py), in the tensors' dtype; tests/test_gpu_scenes.py holds them to the ones above.

def torch_grey_unit(rgb: torch.Tensor) -> torch.Tensor:
    """[..., 3, H, W] in [0, 1] -> [..., H, W] BT.601 grey (grey_unit)."""
    return BT601[0] * rgb[..., 0, :, :] + BT601[1] * rgb[..., 1, :, :] + BT601[2] * rgb[..., 2, :, :]


def torch_laplacian_variance(g: torch.Tensor) -> torch.Tensor:
    lap = g[..., :-2, 1:-1] + g[..., 2:, 1:-1] + g[..., 1:-1, :-2] + g[..., 1:-1, 2:] - 4.0 * g[..., 1:-1, 1:-1]
    return lap.flatten(-2).var(-1, unbiased=False)


def torch_contrast_scale(g: torch.Tensor) -> torch.Tensor:
    shape = g.shape
    p = F.pad(g.reshape(-1, 1, *shape[-2:]), (1, 1, 1, 1), mode='replicate').reshape(*shape[:-2], shape[-2] + 2, shape[-1] + 2)
    c = ((g - p[..., :-2, 1:-1]) ** 2 + (g - p[..., 2:, 1:-1]) ** 2 + (g - p[..., 1:-1, :-2]) ** 2
         + (g - p[..., 1:-1, 2:]) ** 2) * 0.25
    return c.flatten(-2).amax(-1)


def torch_blur_weights(variances: torch.Tensor) -> torch.Tensor:
    inv = 1.0 / variances.clamp_min(VARIANCE_FLOOR)
    return variances.shape[-1] * inv / inv.sum(-1, keepdim=True)
