"""PROMOTION's dual loss (paper Sec. 3.4, Eq. 5-7): flow-weighted Charbonnier + lambda x perceptual term.

Pixel term (Eq. 5): mean over pixels and channels of sqrt(((pred - gt) * (1 + w_att))^2 + eps), eps = 1e-6.
w_att is the centre frame's motion map, the network's `motion` input: [B, 1, H, W] in [0, 1], already normalized
per whole frame (its maximum motion, or 1 px if less; src/flow/motion-map.ts) and broadcast over RGB. So still
pixels weigh 1 and the fastest-moving pixels of the frame weigh 2. `flow_weight: false` (Table 7 Ab4) uses w_att = 0.

Perceptual term (Eq. 6), lambda = 0.1 by default (`perceptual_weight: 0`, Table 7 Ab5, drops it):
- `ms-ssim` (default): 1 - MS-SSIM, weight-free. The paper uses LPIPS, whose AlexNet/VGG weights no registry
  reachable here (npm, Debian) ships; MS-SSIM is the usual weight-free perceptual-level similarity, also in [0, 1].
- `lpips`: the LPIPS (AlexNet, v0.1) distance when the user gives the weights: `lpips_weights`, the linear-layer
  file (keys `lin0.model.1.weight` ... `lin4...`, as the lpips package's alex.pth), and `alexnet_weights`, the
  backbone (torchvision alexnet keys `features.0.weight` ...). Nothing is downloaded.

Frequency term (beyond the paper, from MIMO-UNet, Cho et al. 2021), off by default: `frequency_weight: w` adds
w x the mean absolute difference of the real and imaginary parts of the 2D FFT of prediction and ground truth
(`frequency_l1`). The pixel loss is small where a blurred window already differs little from its sharp frame, so it
rewards barely acting; the spectrum's difference weighs the lost high frequencies as much as the low ones.

Pose term (beyond the paper), off by default: `pose: {weight: w, variant: lite, ...}` adds w x the difference of
MediaPipe's hand landmarks between the restored and the sharp crop (pose.py: HandPoseLoss, its options and why).
"""
import math
from typing import Any, Dict, Optional

import torch
from torch import nn
from torch.nn import functional as F

from ..metrics import gaussian_window, ssim_components
from ..registry import Registry
from .pose import HandPoseLoss, check_pose_spec

LOSS_REGISTRY: Registry[nn.Module] = Registry('loss')

#: MS-SSIM scale weights (Wang et al. 2003).
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def charbonnier(pred: torch.Tensor, target: torch.Tensor, w_att: Optional[torch.Tensor] = None,
                eps: float = 1e-6) -> torch.Tensor:
    """Eq. 5. w_att [B, 1, H, W] or None (no flow weight)."""
    diff = pred - target
    if w_att is not None:
        diff = diff * (1 + w_att)
    return torch.sqrt(diff * diff + eps).mean()


def frequency_l1(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of the real and imaginary parts of the orthonormal 2D FFT of [B, C, H, W] images
    (MIMO-UNet's frequency loss, normalized so its scale does not depend on the crop size)."""
    diff = torch.fft.rfft2(pred - target, norm='ortho')
    return (diff.real.abs() + diff.imag.abs()).mean()


def ms_ssim(pred: torch.Tensor, target: torch.Tensor, window_size: int = 11) -> torch.Tensor:
    """MS-SSIM of [B, C, H, W] images in [0, 1], averaged over the batch. Uses as many of the 5 standard scales as
    keep the image at least `window_size` pixels (64 px crops: 3), with their weights renormalized to sum to 1;
    contrast-structure terms are clamped at 0 before the power (as pytorch_msssim does)."""
    side = min(pred.shape[-2:])
    if side < window_size:
        raise ValueError(f'ms_ssim needs images of at least {window_size} pixels but received {side}')
    scales = 1
    while scales < len(MS_SSIM_WEIGHTS) and side // (2 ** scales) >= window_size:
        scales += 1
    weights = torch.tensor(MS_SSIM_WEIGHTS[:scales], dtype=pred.dtype, device=pred.device)
    weights = weights / weights.sum()
    window = gaussian_window(window_size, 1.5, pred.dtype)
    values = []
    x, y = pred, target
    for s in range(scales):
        s_val, cs = ssim_components(x, y, window)
        values.append(F.relu(s_val if s == scales - 1 else cs))
        if s < scales - 1:
            x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
    stacked = torch.stack(values, dim=0)  # [S, B]
    return torch.prod(stacked ** weights.view(-1, 1), dim=0).mean()


@LOSS_REGISTRY.register('ms-ssim')
class MsSsimLoss(nn.Module):
    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return 1 - ms_ssim(pred.clamp(0, 1), target)


class _AlexFeatures(nn.Module):
    """AlexNet's convolutional trunk with torchvision's layer indices (features.0, .3, .6, .8, .10)."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(256, 256, 3, 1, 1), nn.ReLU())
        self.taps = (1, 4, 7, 9, 11)  # after each ReLU of relu1..relu5

    def forward(self, x: torch.Tensor):
        out = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.taps:
                out.append(x)
        return out


@LOSS_REGISTRY.register('lpips')
class LpipsLoss(nn.Module):
    """LPIPS v0.1 (AlexNet) from user-supplied weight files; frozen."""
    CHANNELS = (64, 192, 384, 256, 256)

    def __init__(self, lpips_weights: str, alexnet_weights: str) -> None:
        super().__init__()
        self.net = _AlexFeatures()
        self.lins = nn.ModuleList([nn.Conv2d(c, 1, 1, bias=False) for c in self.CHANNELS])
        self.register_buffer('shift', torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1))
        self.register_buffer('scale', torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1))
        backbone = torch.load(alexnet_weights, map_location='cpu')
        missing = [k for k in self.net.state_dict() if k not in backbone]
        if missing:
            raise ValueError(f'{alexnet_weights}: not an AlexNet state dict (missing {missing[:3]}...)')
        self.net.load_state_dict({k: backbone[k] for k in self.net.state_dict()})
        lin = torch.load(lpips_weights, map_location='cpu')
        for i, conv in enumerate(self.lins):
            key = f'lin{i}.model.1.weight'
            if key not in lin:
                raise ValueError(f'{lpips_weights}: missing {key} (expected the lpips package\'s alex.pth layout)')
            conv.weight.data.copy_(lin[key])
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        def prep(t):
            return ((t * 2 - 1) - self.shift) / self.scale
        total = pred.new_zeros(())
        for conv, fa, fb in zip(self.lins, self.net(prep(pred)), self.net(prep(target))):
            na = fa / (fa.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            nb = fb / (fb.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            total = total + conv((na - nb) ** 2).mean()
        return total


class PromotionLoss(nn.Module):
    """Eq. 7: charbonnier(pred, gt, w_att) + perceptual_weight x perceptual(pred, gt), + frequency_weight x
    frequency_l1(pred, gt) when above 0, + pose.weight x HandPoseLoss(pred, gt) when `pose` is given with a weight
    above 0. Returns (total, parts); parts holds 'pixel' and 'perceptual', 'frequency' when that term is on, and
    'pose' (with 'pose_landmarks', 'pose_presence', 'pose_hands') when the pose term is on."""

    def __init__(self, flow_weight: bool = True, perceptual: str = 'ms-ssim', perceptual_weight: float = 0.1,
                 lpips_weights: Optional[str] = None, alexnet_weights: Optional[str] = None,
                 pose: Optional[Dict[str, Any]] = None, frequency_weight: float = 0.0) -> None:
        super().__init__()
        for name, value in (('perceptual_weight', perceptual_weight), ('frequency_weight', frequency_weight)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
                raise ValueError(f'Expected a number >= 0 for {name} but received {value!r}')
        self.frequency_weight = float(frequency_weight)
        self.flow_weight = bool(flow_weight)
        self.perceptual_weight = float(perceptual_weight)
        if perceptual == 'lpips':
            if not lpips_weights or not alexnet_weights:
                raise ValueError('perceptual: lpips needs lpips_weights and alexnet_weights paths (nothing is '
                                 'downloaded); use perceptual: ms-ssim otherwise')
            self.perceptual = LpipsLoss(lpips_weights, alexnet_weights)
        else:
            self.perceptual = LOSS_REGISTRY.get(perceptual)()
        spec = check_pose_spec(pose) if pose is not None else {}
        self.pose_weight = float(spec.pop('weight', 0.0))
        self.pose = HandPoseLoss(**spec) if self.pose_weight > 0 else None

    def forward(self, pred: torch.Tensor, target: torch.Tensor, motion: torch.Tensor,
                hand_boxes_px: Optional[torch.Tensor] = None):
        pixel = charbonnier(pred, target, motion if self.flow_weight else None)
        total, parts = pixel, {'pixel': pixel.item(), 'perceptual': 0.0}
        if self.perceptual_weight > 0:
            perceptual = self.perceptual(pred, target)
            total = total + self.perceptual_weight * perceptual
            parts['perceptual'] = perceptual.item()
        if self.frequency_weight > 0:
            frequency = frequency_l1(pred, target)
            total = total + self.frequency_weight * frequency
            parts['frequency'] = frequency.item()
        if self.pose is not None:
            pose, pose_parts = self.pose(pred, target, hand_boxes_px)
            total = total + self.pose_weight * pose
            parts.update(pose=pose.item(), **pose_parts)
        return total, parts


def build_loss(spec: Optional[Dict[str, Any]]) -> PromotionLoss:
    spec = dict(spec or {})
    known = {'flow_weight', 'perceptual', 'perceptual_weight', 'lpips_weights', 'alexnet_weights', 'pose',
             'frequency_weight'}
    unknown = sorted(set(spec) - known)
    if unknown:
        raise ValueError(f'Unknown loss option(s) {unknown}; expected some of {sorted(known)}')
    return PromotionLoss(**spec)
