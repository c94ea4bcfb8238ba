"""The heterogeneous prior branch of PROMOTION (paper Sec. 3.1, Table 1) and the local prior maps it encodes.

Local maps are computed inside the network from the frames (grey = BT.601 of the gamma-encoded RGB in [0, 1]);
the per-frame global statistics come in as inputs (models/README.md), so a tile sees the whole frame's values.
Borders: Eq. 1 and Eq. 3 take a neighbour outside the frame to equal the edge pixel (replication), the same
convention as `contrast_scale` in promotion/statistics.py and src/deblur/statistics.ts.
"""
import torch
from torch import nn
from torch.nn import functional as F

from .. import CENTRE_INDEX

#: BT.601 luma weights, as src/flow/field.ts.
BT601 = (0.299, 0.587, 0.114)

#: Numerical floor for Eq. 2's denominator (a flat frame has contrast 0 everywhere).
CONTRAST_EPS = 1e-12


def grey(frames: torch.Tensor) -> torch.Tensor:
    """[..., 3, H, W] RGB -> [..., H, W] grey with BT.601 weights."""
    return frames[..., 0, :, :] * BT601[0] + frames[..., 1, :, :] * BT601[1] + frames[..., 2, :, :] * BT601[2]


def _shift(g: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """g(p + dy, q + dx) with edge replication; g is [N, H, W]."""
    padded = F.pad(g.unsqueeze(1), (1, 1, 1, 1), mode='replicate').squeeze(1)
    h, w = g.shape[-2], g.shape[-1]
    return padded[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]


def contrast_map(g: torch.Tensor) -> torch.Tensor:
    """Eq. 1: mean squared difference to the 4-neighbourhood; g [N, H, W]."""
    return ((g - _shift(g, -1, 0)) ** 2 + (g - _shift(g, 1, 0)) ** 2 + (g - _shift(g, 0, -1)) ** 2
            + (g - _shift(g, 0, 1)) ** 2) * 0.25


def gradient_map(g: torch.Tensor) -> torch.Tensor:
    """Eq. 3: [G(p,q) - G(p+1,q)] + [G(p,q) - G(p,q+1)] (p = row, q = column); g [N, H, W]."""
    return (g - _shift(g, 1, 0)) + (g - _shift(g, 0, 1))


def prior_maps(frames: torch.Tensor, motion: torch.Tensor, contrast_scale: torch.Tensor, use_contrast: bool = True,
               use_structure: bool = True, use_motion: bool = True) -> torch.Tensor:
    """The prior stack [B, 3 groups (contrast, gradient, motion), 5 frames, H, W]. A switched-off group is zeros.

    frames [B, 5, 3, H, W]; motion [B, 1, H, W] (the centre frame's motion map); contrast_scale [B, 5] (Eq. 2's
    denominator: the maximum of Eq. 1 over each whole frame). Motion group: the motion map at the centre index,
    |G_t - G_i| for each neighbour i.
    """
    b, t, _, h, w = frames.shape
    g = grey(frames)  # [B, T, H, W]
    zeros = torch.zeros_like(g)
    if use_contrast:
        c = contrast_map(g.reshape(b * t, h, w)).view(b, t, h, w)
        contrast = c / contrast_scale.clamp(min=CONTRAST_EPS).view(b, t, 1, 1)
    else:
        contrast = zeros
    gradient = gradient_map(g.reshape(b * t, h, w)).view(b, t, h, w) if use_structure else zeros
    if use_motion:
        centre = g[:, CENTRE_INDEX:CENTRE_INDEX + 1]
        diffs = (centre - g).abs()
        mot = torch.cat((diffs[:, :CENTRE_INDEX], motion, diffs[:, CENTRE_INDEX + 1:]), dim=1)
    else:
        mot = zeros
    return torch.stack((contrast, gradient, mot), dim=1)


def pooled_prior_maps(frames: torch.Tensor, motion: torch.Tensor, contrast_scale: torch.Tensor) -> torch.Tensor:
    """The prior stack of every group, frame by frame (channel group * 5 + frame), averaged over 2x2 pixels:
    [B, 15, H/2, W/2] (H and W even). What a prior branch at stride 2 reads first, and what the runtime computes for
    a model of contract version 4 (src/deblur/priors.ts), so the network graph starts from it."""
    return F.avg_pool2d(prior_maps(frames, motion, contrast_scale).flatten(1, 2), 2)


class PriorEncoder(nn.Module):
    """Table 1: Conv3d 3->9 (3x5x5, groups 3), max-pool 2, Conv3d 9->27 (3x5x5, groups 9), max-pool 2, Conv2d
    27->num_feat (1x1). Spatial padding 2 keeps the size; no temporal padding, so depth 5 -> 3 -> 1; the pools are
    spatial only (1x2x2) and bring the map to H/4, the scale of EDVR's hr_in features. No activations are given in
    Table 1 and none are added. The 1x1 conv starts with bias 1 and small weights, so the product with the TSA
    output starts close to EDVR's path (an initialization choice, not an architectural one).

    `stride` 2 (beyond the paper; promotion-c's `prior_stride`): the maps, computed at full resolution, are averaged
    over 2x2 pixels first and the second pool is left out, so both 5x5 convolutions run at a quarter of the pixels
    (conv1 at H/2, conv2 at H/4), with the same weights and the same H/4 output. The full-resolution conv1 was the
    largest single node of promotion-c's CPU graph (docs/deblur-model.md)."""

    def __init__(self, num_feat: int, stride: int = 1) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f'Expected 1 or 2 for the prior branch stride but received {stride!r}')
        self.stride = stride
        self.conv1 = nn.Conv3d(3, 9, (3, 5, 5), 1, (0, 2, 2), groups=3)
        self.pool = nn.MaxPool3d((1, 2, 2), (1, 2, 2))
        self.conv2 = nn.Conv3d(9, 27, (3, 5, 5), 1, (0, 2, 2), groups=9)
        self.conv3 = nn.Conv2d(27, num_feat, 1)
        with torch.no_grad():
            self.conv3.weight.mul_(0.1)
            self.conv3.bias.fill_(1.0)

    def forward(self, priors: torch.Tensor) -> torch.Tensor:
        if priors.shape[1] != 3 or priors.shape[2] != 5:
            raise ValueError(f'PriorEncoder expects [B, 3, 5, H, W], got {list(priors.shape)}')
        if self.stride == 2:
            priors = F.avg_pool3d(priors, (1, 2, 2))
        x = self.pool(self.conv1(priors))
        x = self.conv2(x)
        if self.stride == 1:
            x = self.pool(x)  # [B, 27, 1, H/4, W/4]
        return self.conv3(x.squeeze(2))

    def forward_export(self, priors: torch.Tensor) -> torch.Tensor:
        """forward() with the 3D convolutions as grouped 2D ones, which ONNX Runtime runs several times faster on the
        CPU (promotion-c's export graph). The 15 maps (group g, frame t at channel g*5 + t) go through conv1 as 3
        groups of 5 in and 9 out, output channel o*3 + d holding conv1's channel o at depth d: its kernel is conv1's
        3-frame kernel placed at frames d..d+2 (zeros elsewhere). The spatial-only pools are 2D pools, and conv2
        (depth 3 -> 1) is a grouped 2D conv over each channel's 3 depths."""
        x = priors.flatten(1, 2)
        if self.stride == 2:
            return self.from_pooled(F.avg_pool2d(x, 2))
        w1, b1 = self._grouped_conv1()
        x = F.max_pool2d(F.conv2d(x, w1, b1, padding=2, groups=3), 2)
        x = F.conv2d(x, self.conv2.weight.reshape(27, 3, 5, 5), self.conv2.bias, padding=2, groups=9)
        return self.conv3(F.max_pool2d(x, 2))

    def from_pooled(self, pooled: torch.Tensor) -> torch.Tensor:
        """forward_export at stride 2 from the maps already averaged over 2x2 pixels ([B, 15, H/2, W/2],
        `pooled_prior_maps`): contract version 4's graph, whose runtime computes them."""
        if self.stride != 2:
            raise ValueError('from_pooled is the prior branch at stride 2 (prior_stride 2)')
        w1, b1 = self._grouped_conv1()
        x = F.max_pool2d(F.conv2d(pooled, w1, b1, padding=2, groups=3), 2)
        return self.conv3(F.conv2d(x, self.conv2.weight.reshape(27, 3, 5, 5), self.conv2.bias, padding=2, groups=9))

    def _grouped_conv1(self):
        """conv1 as a grouped 2D convolution's weight [27, 5, 5, 5] and bias (forward_export's docstring)."""
        w1 = self.conv1.weight  # [9, 1, 3, 5, 5]
        w1 = torch.stack([F.pad(w1, (0, 0, 0, 0, d, 2 - d)) for d in range(3)], 1).reshape(27, 5, 5, 5)
        return w1, self.conv1.bias.view(9, 1).expand(9, 3).reshape(27)
