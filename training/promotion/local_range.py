"""The runtime's clamp of a restored frame to its input's local range (src/deblur/local-range.ts), in PyTorch, so
training and validation can see what `deblur()` returns: each output sample limited to the smallest and largest
value of the same channel of the blurred centre frame within a square of side 2 radius + 1 around it, the window cut
off at the frame's edges (max-pooling pads with -inf, which is the same). Differentiable where it does not bind (the
gradient is zero where it does), so a network trained through it learns what the clamp leaves it to restore."""
from typing import Optional

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


#: The radii a motion-following clamp chooses from (each pixel takes the smallest of them at or above the radius its
#: motion asks for): a handful of ranges per frame instead of one per distinct radius.
MOTION_CLAMP_RADII = (1, 2, 3, 4, 6, 8, 12, 16)


def motion_px(flow: torch.Tensor) -> torch.Tensor:
    """[B, 1, H, W] motion in pixels per frame from the flow input [B, 4, H, W] (flow_torch.motion_input): the mean
    of the two flows' magnitudes, which is the magnitude motion map before its normalization."""
    return 0.5 * (flow[:, 0:2].norm(dim=1, keepdim=True) + flow[:, 2:4].norm(dim=1, keepdim=True))


def motion_radii(flow: torch.Tensor, radius: int, scale: float, max_radius: int) -> torch.Tensor:
    """The clamp radius per pixel [B, 1, H, W] (int64): floor(scale x motion px + 1/2) limited to radius ..
    max_radius, then raised to the next of MOTION_CLAMP_RADII (or max_radius where none lies between)."""
    if not 0 < radius <= max_radius or scale < 0:
        raise ValueError(f'motion_radii: expected 0 < radius <= max_radius and scale >= 0 but received radius {radius}, '
                         f'max_radius {max_radius}, scale {scale}')
    want = torch.floor(scale * motion_px(flow) + 0.5).clamp(radius, max_radius).long()
    out = torch.full_like(want, max_radius)
    for r in reversed([radius] + [r for r in MOTION_CLAMP_RADII if radius < r < max_radius]):
        out = torch.where(want <= r, torch.full_like(want, r), out)
    return out


def clamp_to_motion_range(out: torch.Tensor, centre: torch.Tensor, radii: torch.Tensor) -> torch.Tensor:
    """`out` clamped to `centre`'s local range with each pixel's own radius (`radii` [B, 1, H, W], from
    motion_radii): wide where the frame moves, so a restored edge can reach the values half a blur away, and tight
    where it is still, so sharp input stays protected."""
    if out.shape != centre.shape or radii.shape != (out.shape[0], 1, *out.shape[2:]):
        raise ValueError(f'clamp_to_motion_range: output {list(out.shape)}, centre frame {list(centre.shape)} and '
                         f'radii {list(radii.shape)} do not match')
    low = torch.empty_like(centre)
    high = torch.empty_like(centre)
    for r in torch.unique(radii).tolist():
        lo, hi = local_range(centre.detach(), int(r))
        where = (radii == r).expand_as(centre)
        low = torch.where(where, lo, low)
        high = torch.where(where, hi, high)
    return torch.maximum(torch.minimum(out, high), low)


def check_clamp_motion(value, radius: int, where: str):
    """None, or a clamp_motion setting [scale, max_radius] checked against the clamp's radius: returned as a tuple."""
    if value is None:
        return None
    ok = (isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[0], (int, float))
          and not isinstance(value[0], bool) and value[0] >= 0 and isinstance(value[1], int)
          and not isinstance(value[1], bool) and 0 < radius <= value[1] <= 64)
    if not ok:
        raise ValueError(f'Expected {where} as [scale, max_radius] (each pixel clamped at floor(scale x its motion in '
                         f'px + 1/2), from the clamp radius {radius} up to max_radius <= 64; the clamp radius must be '
                         f'at least 1) but received {value!r}')
    return float(value[0]), int(value[1])


def parse_clamp_motion(text: str):
    """A command line's SCALE,MAX as [scale, max_radius], or the text as given where it is not two numbers (for
    check_clamp_motion to refuse, naming it)."""
    parts = text.split(',')
    try:
        return [float(parts[0]), int(parts[1])] if len(parts) == 2 else text
    except ValueError:
        return text


def clamp_output(out: torch.Tensor, centre: torch.Tensor, radius: int, motion=None, flow=None) -> torch.Tensor:
    """The clamp as a run configures it: at a fixed radius, or following the motion (`motion` (scale, max_radius)
    from check_clamp_motion, which needs the frame's flow input [B, 4, H, W])."""
    if motion is None:
        return clamp_to_local_range(out, centre, radius)
    if flow is None:
        raise ValueError('A clamp that follows the motion needs the flow vectors (the dataset\'s flow_input)')
    return clamp_to_motion_range(out, centre, motion_radii(flow, radius, motion[0], motion[1]))


def shrink_residual(out: torch.Tensor, centre: torch.Tensor, levels: float, flat_levels: Optional[float] = None,
                    radius: int = 0) -> torch.Tensor:
    """The runtime's residual deadband (src/deblur/local-range.ts, applyDeadband; a card's `deadband` and
    `deadbandFlat`): the change from the input, out - centre, shrunk towards zero by `levels` 8-bit grey levels (soft
    thresholding), before the clamp; with `flat_levels`, only where each channel of `centre` spans at most that many
    levels within `radius` (the clamp's base radius; 0: every sample). Values in [0, 1]; the runtime rounds 8-bit
    samples after shrinking, which for whole levels equals rounding first, as frame validation does after the clamp."""
    if not levels > 0:
        return out
    r = out - centre
    shrunk = centre + torch.sign(r) * (r.abs() - levels / 255).clamp(min=0)
    if flat_levels is None or radius == 0:
        return shrunk
    lo, hi = local_range(centre, radius)
    return torch.where(hi - lo <= flat_levels / 255 + 1e-6, shrunk, out)


def _check_levels(value, top: int, what: str, where: str) -> float:
    """A number of grey levels from 0 to `top`, as the runtime accepts it (model-card.ts)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= top:
        raise ValueError(f'{where}: expected {what} of 0 to {top} grey levels but received {value!r}')
    return float(value)


def check_deadband(value, where: str) -> float:
    """A deadband in 8-bit grey levels, 0-16."""
    return _check_levels(value, 16, 'a deadband', where)


def check_deadband_flat(value, where: str) -> float:
    """The deadband's flatness bound in grey levels, 0-255."""
    return _check_levels(value, 255, 'a flatness bound', where)
