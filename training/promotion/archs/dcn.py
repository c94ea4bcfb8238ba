"""Modulated deformable convolution (DCNv2) written with `grid_sample`, so that it exports to ONNX (opset 16) and
runs in onnxruntime; `torchvision.ops.deform_conv2d` has no ONNX symbolic, so torch.onnx cannot export it.

For every kernel tap k = (ky, kx) and output pixel (y, x) the input of deformable group g is sampled bilinearly
(zeros outside, align_corners=True, i.e. pixel centres at integer coordinates) at
    (y + ky * dilation - padding + dy[g, k], x + kx * dilation - padding + dx[g, k]),
multiplied by mask[g, k], and the stacked samples (C * K channels, index c * K + k) go through a 1x1 conv whose
weight is the deformable conv's weight reshaped to [out, C * K, 1, 1]. Offsets are laid out as torchvision and
mmcv lay them out: channel 2 * (g * K + k) is dy, the next one dx; the mask channel g * K + k. The parameters are
those of BasicSR's DCNv2Pack (weight, bias, conv_offset), so its checkpoints load unchanged.

For export, `DCNv2Pack.onnx_deform_conv = True` makes the module emit one ONNX `DeformConv` node (opset 19, the
same sampling: bilinear, zeros outside, offsets and mask in this layout) instead of the grid_sample decomposition.
ONNX Runtime 1.30 runs it natively on the CPU and CUDA, about 2.5x less CPU than GridSample and its coordinate
arithmetic per layer (measured in 1 thread at 160x120x32, 8 groups). torch 1.13 cannot emit opset 19, so the
node is written in a private domain and promotion/onnx_opset.py moves the file to opset 19 afterwards.
"""
import math

import torch
from torch import nn
from torch.nn import functional as F


def modulated_deform_conv2d(x: torch.Tensor, offset: torch.Tensor, mask: torch.Tensor, weight: torch.Tensor,
                            bias, padding: int = 1, dilation: int = 1) -> torch.Tensor:
    """Stride-1 modulated deformable conv. x [B, C, H, W], offset [B, 2*G*K, H, W], mask [B, G*K, H, W],
    weight [O, C, kh, kw]; output [B, O, H, W]. H and W must be at least 2 (align_corners normalization)."""
    b, c, h, w = x.shape
    out_ch, in_ch, kh, kw = weight.shape
    k = kh * kw
    if in_ch != c:
        raise ValueError(f'modulated_deform_conv2d: weight expects {in_ch} input channels but x has {c}')
    if mask.shape[1] % k != 0:
        raise ValueError(f'modulated_deform_conv2d: mask has {mask.shape[1]} channels, not a multiple of {k} taps')
    groups = mask.shape[1] // k
    if offset.shape[1] != 2 * groups * k or c % groups != 0:
        raise ValueError(f'modulated_deform_conv2d: offset has {offset.shape[1]} channels but {groups} groups of '
                         f'{k} taps need {2 * groups * k} (and {c} channels must divide into the groups)')
    dtype, device = x.dtype, x.device
    # Tap displacements (ky, kx) relative to the output pixel, [K].
    ky = torch.arange(kh, dtype=dtype, device=device) * dilation - padding
    kx = torch.arange(kw, dtype=dtype, device=device) * dilation - padding
    tap_y = ky.view(kh, 1).expand(kh, kw).reshape(1, 1, k, 1, 1)
    tap_x = kx.view(1, kw).expand(kh, kw).reshape(1, 1, k, 1, 1)
    base_y = torch.arange(h, dtype=dtype, device=device).view(1, 1, 1, h, 1)
    base_x = torch.arange(w, dtype=dtype, device=device).view(1, 1, 1, 1, w)
    off = offset.view(b, groups, k, 2, h, w)
    pos_y = base_y + tap_y + off[:, :, :, 0]  # [B, G, K, H, W]
    pos_x = base_x + tap_x + off[:, :, :, 1]
    # Normalized coordinates for align_corners=True: -1 at pixel 0, +1 at pixel size - 1.
    grid_y = pos_y * (2.0 / (h - 1)) - 1.0
    grid_x = pos_x * (2.0 / (w - 1)) - 1.0
    grid = torch.stack((grid_x, grid_y), dim=-1).view(b * groups, k * h, w, 2)
    sampled = F.grid_sample(x.reshape(b * groups, c // groups, h, w), grid, mode='bilinear', padding_mode='zeros',
                            align_corners=True)  # [B*G, C/G, K*H, W]
    sampled = sampled.view(b, groups, c // groups, k, h, w) * mask.view(b, groups, 1, k, h, w)
    cols = sampled.flatten(1, 3)  # [B, C*K, H, W], channel index c * K + k
    # flatten/unsqueeze (not reshape with traced sizes) keep the kernel's shape static for the ONNX exporter.
    return F.conv2d(cols, weight.flatten(1).unsqueeze(-1).unsqueeze(-1), bias)


DEFORM_CONV_DOMAIN = 'promotion'


class _DeformConvForExport(torch.autograd.Function):
    """Export only: traced as a single `promotion::DeformConv` node (see onnx_opset.py). Its forward is a stand-in
    with the right shape (the tracer fails on the grid_sample ops inside a Function in torch 1.13), so it refuses
    to run outside an ONNX export."""

    @staticmethod
    def forward(ctx, x, offset, mask, weight, bias, padding: int, groups: int):  # type: ignore[override]
        if not torch.onnx.is_in_onnx_export():
            raise RuntimeError('_DeformConvForExport only exists to be traced by torch.onnx.export')
        return F.conv2d(x, weight, bias, padding=padding)

    @staticmethod
    def symbolic(g, x, offset, mask, weight, bias, padding: int, groups: int):  # type: ignore[no-untyped-def]
        kh, kw = weight.type().sizes()[2:]
        y = g.op(f'{DEFORM_CONV_DOMAIN}::DeformConv', x, weight, offset, bias, mask, kernel_shape_i=[kh, kw],
                 pads_i=[padding] * 4, strides_i=[1, 1], dilations_i=[1, 1], group_i=1, offset_group_i=groups)
        y.setType(x.type())
        return y


class DCNv2Pack(nn.Module):
    """BasicSR's DCNv2Pack: offsets and mask predicted by `conv_offset` from a separate feature (zero-initialized,
    so training starts from a plain conv), mask through a sigmoid."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, padding: int = 1,
                 deformable_groups: int = 8) -> None:
        super().__init__()
        if in_channels % deformable_groups != 0:
            raise ValueError(f'DCNv2Pack: in_channels {in_channels} must be a multiple of deformable_groups '
                             f'{deformable_groups}')
        self.padding = padding
        self.deformable_groups = deformable_groups
        self.onnx_deform_conv = False  # set by promotion.export: one ONNX DeformConv node when exported
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.empty(out_channels))
        self.conv_offset = nn.Conv2d(in_channels, deformable_groups * 3 * kernel_size * kernel_size, kernel_size,
                                     1, padding, bias=True)
        n = in_channels * kernel_size * kernel_size
        stdv = 1.0 / math.sqrt(n)
        nn.init.uniform_(self.weight, -stdv, stdv)
        nn.init.zeros_(self.bias)
        nn.init.zeros_(self.conv_offset.weight)
        nn.init.zeros_(self.conv_offset.bias)

    def forward(self, x: torch.Tensor, feat: torch.Tensor) -> torch.Tensor:
        out = self.conv_offset(feat)
        o1, o2, mask = torch.chunk(out, 3, dim=1)
        offset = torch.cat((o1, o2), dim=1)
        if self.onnx_deform_conv and torch.onnx.is_in_onnx_export():
            return _DeformConvForExport.apply(x, offset, torch.sigmoid(mask), self.weight, self.bias, self.padding,
                                              self.deformable_groups)
        return modulated_deform_conv2d(x, offset, torch.sigmoid(mask), self.weight, self.bias, self.padding)
