"""Restoration metrics on [0, 1] tensors, RGB, no border crop, averaged over the batch: PSNR (dB, Infinity for
identical images) and SSIM (Gaussian window 11, sigma 1.5, K1 0.01, K2 0.03, valid region, mean over channels)."""
import math

import torch
from torch.nn import functional as F


def psnr(pred: torch.Tensor, target: torch.Tensor) -> float:
    mse = ((pred.clamp(0, 1) - target) ** 2).mean().item()
    return math.inf if mse == 0 else 10 * math.log10(1.0 / mse)


def gaussian_window(size: int = 11, sigma: float = 1.5, dtype=torch.float32) -> torch.Tensor:
    coords = torch.arange(size, dtype=dtype) - (size - 1) / 2
    g = torch.exp(-(coords ** 2) / (2 * sigma ** 2))
    return g / g.sum()


def ssim_components(x: torch.Tensor, y: torch.Tensor, window: torch.Tensor):
    """Per-image SSIM and contrast-structure means, [B] each, for [B, C, H, W] inputs in [0, 1]."""
    c = x.shape[1]
    k = window.to(x.dtype).to(x.device)
    wx = k.view(1, 1, 1, -1).repeat(c, 1, 1, 1)
    wy = k.view(1, 1, -1, 1).repeat(c, 1, 1, 1)

    def blur(t):
        return F.conv2d(F.conv2d(t, wx, groups=c), wy, groups=c)

    c1, c2 = 0.01 ** 2, 0.03 ** 2
    mx, my = blur(x), blur(y)
    sxx = blur(x * x) - mx * mx
    syy = blur(y * y) - my * my
    sxy = blur(x * y) - mx * my
    cs = (2 * sxy + c2) / (sxx + syy + c2)
    ssim_map = (2 * mx * my + c1) / (mx * mx + my * my + c1) * cs
    return ssim_map.flatten(1).mean(1), cs.flatten(1).mean(1)


def ssim(pred: torch.Tensor, target: torch.Tensor) -> float:
    if min(pred.shape[-2:]) < 11:
        raise ValueError(f'ssim needs images of at least 11x11 pixels but received {list(pred.shape[-2:])}')
    return ssim_components(pred.clamp(0, 1), target, gaussian_window(dtype=pred.dtype))[0].mean().item()
