"""The runtime's clamp of a restored frame to its input's local range (src/deblur/local-range.ts), in PyTorch, so
training and validation can see what `deblur()` returns: each output sample limited to the smallest and largest
value of the same channel of the blurred centre frame within a square of side 2 radius + 1 around it, the window cut
off at the frame's edges (max-pooling pads with -inf, which is the same). Differentiable where it does not bind (the
gradient is zero where it does), so a network trained through it learns what the clamp leaves it to restore."""
import torch
from torch.nn import functional as F


def local_range(centre: torch.Tensor, radius: int):
    """(minimum, maximum) of each channel of `centre` [B, C, H, W] over the (2 radius + 1)^2 window of each pixel."""
    def window_max(x):
        # A square window's maximum is the maximum over its rows of the maximum along them: two 1D pools give the
        # same values as one (2r + 1)^2 pool in O(r) instead of O(r^2) per pixel.
        x = F.max_pool2d(x, (1, 2 * radius + 1), 1, (0, radius))
        return F.max_pool2d(x, (2 * radius + 1, 1), 1, (radius, 0))
    return -window_max(-centre), window_max(centre)


def clamp_to_local_range(out: torch.Tensor, centre: torch.Tensor, radius: int) -> torch.Tensor:
    """`out` clamped to `centre`'s local range of the given radius; radius 0 returns `out` as it is."""
    if not isinstance(radius, int) or isinstance(radius, bool) or radius < 0:
        raise ValueError(f'Expected an integer >= 0 for the clamp radius but received {radius!r}')
    if radius == 0:
        return out
    if out.shape != centre.shape:
        raise ValueError(f'clamp_to_local_range: output {list(out.shape)} and centre frame {list(centre.shape)} differ')
    low, high = local_range(centre.detach(), radius)
    return torch.maximum(torch.minimum(out, high), low)
