"""PROMOTION shaped for two CPU cores: a multi-scale encoder-decoder over the 5-frame window with NAFNet-style blocks,
keeping the paper's additions, each behind a switch.

Why this shape (the EDVR-based `promotion-s` spends 61% of its 640x480 time in PCD alignment and its deformable
convolutions, at H/4, and restores little): NAFNet, MIMO-UNet and the real-time video deblurring networks spend most
of their work at low resolution in cheap blocks (1x1 convolutions, a depthwise 3x3, a gate); a block costs about
7c^2 multiply-adds per pixel of its level, so doubling the width at each halving of the resolution keeps every
level's block at the same cost per frame pixel while the receptive field grows to cover 40 px of blur.

Layout (c = num_feat, widths c, 2c, 4c, 6c at H/2, H/4, H/8, H/16):
- entry: 2x2 space-to-depth of each frame (lossless, 12 channels at H/2), multiplied by the frame's entry of the
  blur reasoning vector (Eq. 4, `use_blur_vector`: the paper multiplies it onto each aligned frame's features before
  fusion; here the frames are fused at the entry, so it weights the frames themselves), and fused with the motion
  map (space-to-depth, 4 channels) by one 1x1 conv to c. (A per-frame 3x3 conv before fusion cost 1.3 of 9 GMAC
  per 640x480 frame, computed anew for each window.)
- encoder: NAFBlocks and a stride-2 2x2 conv per level; at H/4 the fused feature is multiplied by the prior branch
  (Table 1 over contrast, gradient and motion of the 5 frames, priors.py: its output is at H/4, `use_priors` and the
  group switches as in promotion_arch.py).
- middle blocks at H/16; decoder: 1x1 conv and 2x depth-to-space, plus the encoder's skip, then NAFBlocks.
- exit: a 3x3 conv to 12 channels at H/2, 2x depth-to-space, plus the centre frame (the network predicts a
  residual; its last conv starts at zero, so an untrained network returns its input).
- `use_channel_attention`: NAFNet's simplified channel attention with local statistics: the mean over a
  `attention_window` x `attention_window` neighbourhood at the block's level (separable average pools, stride 1,
  edges averaged over the pixels inside) instead of over the whole crop, so a network trained on crops sees the
  same statistics on full frames (NAFNet's maintainers measured 0.63 dB lost to global pooling's mismatch).

forward(frames, motion, blur_weights, contrast_scale) follows the runtime contract (models/README.md, version 1).

`directional_motion` (beyond the paper; contract version 3): the centre frame's flow vectors in pixels per frame
(`flow` [B, 4, H, W]: F(centre->next) and F(centre->prev), the DIS flows the motion map is made of, flow_torch.py
`motion_input`) as a further input, so the network is told the blur's length and direction (together, its kernel),
which the magnitude map (one value per pixel, normalized by the frame's maximum) does not say. Each flow (u, v),
divided by FLOW_SCALE px (length m), enters as (u, v, (u^2 - v^2) / (1 + m), 2uv / (1 + m)): the last two are the
direction's double angle, which a blur and its reverse share (a box blur along v is the one along -v), times
m^2 / (1 + m), which grows as m^2 for short motion and as m for long, so that a long (or wrong: DIS in a flat region)
flow does not dwarf the other inputs. (Session 10's first ablation run used u^2 - v^2 and 2uv unscaled and trained
worse than the magnitude map alone: docs/deblur-model.md.) The 8 maps go through
one 2x2 stride-2 conv to the entry's width, added to the fused feature; its weights start at zero, so a
directional network initialized from a magnitude-only one computes the same function until it learns otherwise.
forward(frames, motion, blur_weights, contrast_scale, flow) then.

`block` inverted (beyond NAFNet): gate-free inverted bottlenecks in place of NAFBlocks, which ONNX Runtime runs in
about half the time on the CPU (InvertedBlock).

`prior_stride` 2 (beyond the paper): the prior branch averages its full-resolution maps over 2x2 pixels and runs
both 5x5 convolutions at a quarter of the pixels (priors.py `PriorEncoder`), same weights, same H/4 output: the
full-resolution 5x5 was the largest single node of the CPU graph.

The exported graph computes the same function in a form ONNX Runtime runs faster on the CPU (`export_graph`; about a
quarter less CPU time per 640x480 frame, docs/deblur-model.md): the entry's space-to-depth and 1x1 fusion as one
2x2 stride-2 convolution; the prior branch's 3D convolutions as grouped 2D ones; each SimpleGate's halves as two
convolutions instead of one and two slices; LayerNorm's channel means as 1x1 convolutions, its affine part folded
into the next 1x1 convolution; each decoder's 1x1 convolution and depth-to-space as one transposed convolution.
Every rewritten weight is computed in the graph from the parameters as trained (ONNX Runtime folds those constants
when it loads the graph), so an export keeps every parameter under its name and training can resume from it.
"""
from typing import List, Optional, Tuple

import torch
from torch import nn
from torch.nn import functional as F

from .. import CENTRE_INDEX, WINDOW_SIZE
from .priors import PriorEncoder, prior_maps


class LayerNorm2d(nn.Module):
    """Layer normalization over the channels of each pixel ([B, C, H, W]), with per-channel affine parameters."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu = x.mean(1, keepdim=True)
        var = (x - mu).pow(2).mean(1, keepdim=True)
        y = (x - mu) / torch.sqrt(var + self.eps)
        return y * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


def _normalized(norm: LayerNorm2d, x: torch.Tensor) -> torch.Tensor:
    """LayerNorm2d without its affine part, the channel means as 1x1 convolutions (export graph: ONNX Runtime's
    ReduceMean over the channel axis costs several times a 1x1 convolution's time)."""
    c = int(norm.weight.shape[0])
    mean = torch.full((1, c, 1, 1), 1.0 / c, dtype=x.dtype, device=x.device)
    d = x - F.conv2d(x, mean)
    return d * torch.rsqrt(F.conv2d(d * d, mean) + norm.eps)


def _folded(norm: LayerNorm2d, conv: nn.Conv2d, lo: int, hi: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """The weight and bias of output channels lo:hi of the 1x1 `conv` applied after `norm`, with the norm's affine
    part folded in: conv(n * w + b) = (W diag(w)) n + (W b + bias)."""
    weight = conv.weight[lo:hi]
    return weight * norm.weight.view(1, -1, 1, 1), conv.bias[lo:hi] + weight[:, :, 0, 0] @ norm.bias


def local_mean(x: torch.Tensor, window: int) -> torch.Tensor:
    """The mean of each channel over a window x window neighbourhood (odd window; near the edges over the pixels
    inside the frame): two separable average pools, so the cost does not grow with the window's area."""
    pad = window // 2
    x = F.avg_pool2d(x, (window, 1), 1, (pad, 0), count_include_pad=False)
    return F.avg_pool2d(x, (1, window), 1, (0, pad), count_include_pad=False)


class NAFBlock(nn.Module):
    """NAFNet's block (Chen et al. 2022): LayerNorm, 1x1 to 2c, depthwise 3x3, SimpleGate, channel attention, 1x1,
    scaled residual; then LayerNorm, 1x1 to 2c, SimpleGate, 1x1, scaled residual. No dropout."""

    def __init__(self, c: int, channel_attention: bool, window: int) -> None:
        super().__init__()
        self.norm1 = LayerNorm2d(c)
        self.conv1 = nn.Conv2d(c, 2 * c, 1)
        self.conv2 = nn.Conv2d(2 * c, 2 * c, 3, 1, 1, groups=2 * c)
        self.sca = nn.Conv2d(c, c, 1) if channel_attention else None
        self.window = window
        self.conv3 = nn.Conv2d(c, c, 1)
        self.norm2 = LayerNorm2d(c)
        self.conv4 = nn.Conv2d(c, 2 * c, 1)
        self.conv5 = nn.Conv2d(c, c, 1)
        self.beta = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.gamma = nn.Parameter(torch.zeros(1, c, 1, 1))
        #: Compute forward() as the export graph does (as under ONNX export; PromotionUNet.export_graph sets it).
        self.export_graph = False

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        if self.export_graph or torch.onnx.is_in_onnx_export():
            return self.forward_export(inp)
        x = self.conv2(self.conv1(self.norm1(inp)))
        a, b = x.chunk(2, dim=1)
        x = a * b
        if self.sca is not None:
            x = x * self.sca(local_mean(x, self.window))
        y = inp + self.conv3(x) * self.beta
        a, b = self.conv4(self.norm2(y)).chunk(2, dim=1)
        return y + self.conv5(a * b) * self.gamma

    def forward_export(self, inp: torch.Tensor) -> torch.Tensor:
        """forward() as the export graph computes it (the module's docstring)."""
        k = int(self.conv2.weight.shape[0]) // 2
        n = _normalized(self.norm1, inp)
        w2, b2 = self.conv2.weight, self.conv2.bias
        halves = []
        for lo, hi in ((0, k), (k, 2 * k)):
            weight, bias = _folded(self.norm1, self.conv1, lo, hi)
            halves.append(F.conv2d(F.conv2d(n, weight, bias), w2[lo:hi], b2[lo:hi], padding=1, groups=k))
        x = halves[0] * halves[1]
        if self.sca is not None:
            x = x * self.sca(local_mean(x, self.window))
        y = inp + self.conv3(x) * self.beta
        n = _normalized(self.norm2, y)
        (wa, ba), (wb, bb) = _folded(self.norm2, self.conv4, 0, k), _folded(self.norm2, self.conv4, k, 2 * k)
        return y + self.conv5(F.conv2d(n, wa, ba) * F.conv2d(n, wb, bb)) * self.gamma


class InvertedBlock(nn.Module):
    """`block: inverted` (beyond NAFNet, session 28): an inverted bottleneck without gates or normalization: 1x1 to
    2c, ReLU, depthwise 3x3, ReLU, (channel attention,) 1x1 back to c, residual; the last 1x1 starts at zero, so the
    block starts as the identity, as a NAFBlock does through its zero scales. Why: on two CPU cores ONNX Runtime runs
    its convolutions in a blocked layout (NCHWc) with ReLU and the residual sum fused into them, while a NAFBlock's
    gate products, LayerNorm and channel-attention products run in the plain layout, each behind a layout conversion:
    at num_feat 16 the conversions alone were 26% of a 640x480 call. At promotion-c's widths, without channel
    attention, the network took 78 ms per 640x480 call on 2 threads against 142 with NAFBlocks (18 against 44 ms at
    256x256; both with the prior maps from the runtime, contract version 4), and trains as fast per window as
    NAFBlocks at half the width (docs/deblur-model.md, session 28). Channel attention (`use_channel_attention`)
    multiplies as NAFNet's does, and gives back most of the gain: 120 ms a 640x480 call, 27 at 256x256."""

    def __init__(self, c: int, channel_attention: bool, window: int) -> None:
        super().__init__()
        self.expand = nn.Conv2d(c, 2 * c, 1)
        self.depthwise = nn.Conv2d(2 * c, 2 * c, 3, 1, 1, groups=2 * c)
        self.sca = nn.Conv2d(2 * c, 2 * c, 1) if channel_attention else None
        self.window = window
        self.project = nn.Conv2d(2 * c, c, 1)
        with torch.no_grad():
            self.project.weight.zero_()
            self.project.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.depthwise(F.relu(self.expand(x))))
        if self.sca is not None:
            y = y * self.sca(local_mean(y, self.window))
        return x + self.project(y)


#: The blocks a PromotionUNet can be built of (`block`).
BLOCKS = {'naf': NAFBlock, 'inverted': InvertedBlock}


#: Flow vectors are divided by this many pixels before they enter the network (40 px of motion -> 2.5).
FLOW_SCALE = 16.0


def flow_features(flow: torch.Tensor) -> torch.Tensor:
    """The 8 maps a directional network reads from `flow` [B, 4, H, W] (px): per flow, (u, v, (u^2 - v^2) / (1 + m),
    2uv / (1 + m)) of the flow in units of FLOW_SCALE px, m its length (the module's docstring)."""
    f = flow / FLOW_SCALE
    maps = []
    for k in (0, 2):
        u, v = f[:, k:k + 1], f[:, k + 1:k + 2]
        damp = 1 / (1 + torch.sqrt(u * u + v * v))
        maps += [u, v, (u * u - v * v) * damp, 2 * u * v * damp]
    return torch.cat(maps, 1)


class PromotionUNet(nn.Module):
    """See the module's docstring. `enc_blocks`: blocks (NAFBlocks, or `block`'s) at H/2, H/4, H/8; `middle_blocks` at
    H/16; `dec_blocks` at H/8, H/4, H/2 (in that order)."""

    WIDTH_FACTORS = (1, 2, 4, 6)
    #: The tile side the model card asks the runtime for (`tileSize`): an encoder-decoder needs little memory per
    #: pixel, and a 640x480 frame in one call saves the overlap that 512-pixel tiles recompute.
    TILE_SIZE = 1024

    def __init__(self, num_feat: int = 32, enc_blocks: List[int] = (1, 1, 2), middle_blocks: int = 4,
                 dec_blocks: List[int] = (1, 1, 1), use_priors: bool = True, use_contrast: bool = True,
                 use_structure: bool = True, use_motion: bool = True, use_blur_vector: bool = True,
                 use_channel_attention: bool = True, attention_window: int = 9,
                 directional_motion: bool = False, prior_stride: int = 1, block: str = 'naf') -> None:
        super().__init__()
        if not isinstance(num_feat, int) or isinstance(num_feat, bool) or num_feat < 4:
            raise ValueError(f'Expected an integer >= 4 for num_feat but received {num_feat!r}')
        enc_blocks, dec_blocks = list(enc_blocks), list(dec_blocks)
        for name, blocks in (('enc_blocks', enc_blocks), ('dec_blocks', dec_blocks)):
            if len(blocks) != 3 or any(not isinstance(n, int) or n < 0 for n in blocks):
                raise ValueError(f'Expected three block counts >= 0 for {name} but received {blocks!r}')
        if not isinstance(middle_blocks, int) or middle_blocks < 0:
            raise ValueError(f'Expected an integer >= 0 for middle_blocks but received {middle_blocks!r}')
        if not isinstance(attention_window, int) or attention_window < 1 or attention_window % 2 == 0:
            raise ValueError(f'Expected an odd integer >= 1 for attention_window but received {attention_window!r}')
        self.config = dict(num_feat=num_feat, enc_blocks=enc_blocks, middle_blocks=middle_blocks,
                           dec_blocks=dec_blocks, use_priors=use_priors, use_contrast=use_contrast,
                           use_structure=use_structure, use_motion=use_motion, use_blur_vector=use_blur_vector,
                           use_channel_attention=use_channel_attention, attention_window=attention_window)
        if not isinstance(directional_motion, bool):
            raise ValueError(f'Expected true or false for directional_motion but received {directional_motion!r}')
        if directional_motion:  # recorded only when on, so the cards and checkpoints of earlier models stay as they were
            self.config['directional_motion'] = True
        self.directional_motion = directional_motion
        if prior_stride not in (1, 2) or isinstance(prior_stride, bool):
            raise ValueError(f'Expected 1 or 2 for prior_stride but received {prior_stride!r}')
        if prior_stride != 1:  # recorded only when not the paper's, as directional_motion
            self.config['prior_stride'] = prior_stride
        if block not in BLOCKS:
            raise ValueError(f'Expected block {" or ".join(sorted(BLOCKS))} but received {block!r}')
        if block != 'naf':  # recorded only when not NAFNet's, as prior_stride
            self.config['block'] = block
        Block = BLOCKS[block]
        self.use_blur_vector = use_blur_vector
        self.use_contrast, self.use_structure, self.use_motion = use_contrast, use_structure, use_motion
        widths = [num_feat * f for f in self.WIDTH_FACTORS]
        ca, win = use_channel_attention, attention_window
        self.fuse = nn.Conv2d(WINDOW_SIZE * 3 * 4 + 4, widths[0], 1)
        self.fuse_flow = nn.Conv2d(8, widths[0], 2, 2) if directional_motion else None
        self.encoders = nn.ModuleList()
        self.downs = nn.ModuleList()
        for level, n in enumerate(enc_blocks):
            self.encoders.append(nn.Sequential(*[Block(widths[level], ca, win) for _ in range(n)]))
            self.downs.append(nn.Conv2d(widths[level], widths[level + 1], 2, 2))
        self.middle = nn.Sequential(*[Block(widths[3], ca, win) for _ in range(middle_blocks)])
        self.ups = nn.ModuleList()
        self.decoders = nn.ModuleList()
        for level, n in zip((2, 1, 0), dec_blocks):
            self.ups.append(nn.Sequential(nn.Conv2d(widths[level + 1], widths[level] * 4, 1, bias=False),
                                          nn.PixelShuffle(2)))
            self.decoders.append(nn.Sequential(*[Block(widths[level], ca, win) for _ in range(n)]))
        self.prior_encoder = PriorEncoder(widths[1], prior_stride) if use_priors else None
        self.exit = nn.Conv2d(widths[0], 3 * 4, 3, 1, 1)
        self._export_graph = False
        with torch.no_grad():
            self.exit.weight.zero_()
            self.exit.bias.zero_()
            if self.fuse_flow is not None:
                self.fuse_flow.weight.zero_()
                self.fuse_flow.bias.zero_()

    @property
    def export_graph(self) -> bool:
        """Whether forward() computes the export graph's form of the network (the module's docstring): on while
        torch.onnx exports it, or when set (tests compare the two forms)."""
        return self._export_graph or torch.onnx.is_in_onnx_export()

    @export_graph.setter
    def export_graph(self, value: bool) -> None:
        self._export_graph = bool(value)
        for module in self.modules():
            if isinstance(module, NAFBlock):
                module.export_graph = self._export_graph

    def _enter(self, frames: torch.Tensor, motion: torch.Tensor, blur_weights: torch.Tensor) -> torch.Tensor:
        """The entry: frames weighted by the blur vector and the motion map, fused at H/2 (the module's docstring)."""
        b, t, c, h, w = frames.shape
        if self.use_blur_vector:
            frames = frames * blur_weights.view(b, t, 1, 1, 1)
        if self.export_graph:
            # 2x2 space-to-depth then a 1x1 conv is a 2x2 stride-2 conv: space-to-depth's channel c*4 + i*2 + j holds
            # pixel (i, j) of channel c, so fuse's weight reshapes to the 2x2 kernels (frames' channels, then motion).
            weight = self.fuse.weight
            out, split = int(weight.shape[0]), WINDOW_SIZE * 3 * 4
            return (F.conv2d(frames.flatten(1, 2), weight[:, :split].reshape(out, WINDOW_SIZE * 3, 2, 2),
                             self.fuse.bias, stride=2)
                    + F.conv2d(motion, weight[:, split:].reshape(out, 1, 2, 2), None, stride=2))
        feat = F.pixel_unshuffle(frames.reshape(b * t, c, h, w), 2).view(b, t, c * 4, h // 2, w // 2)
        return self.fuse(torch.cat((feat.reshape(b, -1, h // 2, w // 2), F.pixel_unshuffle(motion, 2)), dim=1))

    def _up(self, up: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
        """A decoder's upsampling: a 1x1 conv to 4x the channels and 2x depth-to-space, which is one 2x2 stride-2
        transposed conv (depth-to-space puts channel co*4 + i*2 + j at pixel (i, j) of channel co)."""
        if not self.export_graph:
            return up(x)
        weight = up[0].weight
        co, ci = int(weight.shape[0]) // 4, int(weight.shape[1])
        return F.conv_transpose2d(x, weight.reshape(co, 2, 2, ci).permute(3, 0, 1, 2), None, stride=2)

    def forward(self, frames: torch.Tensor, motion: torch.Tensor, blur_weights: torch.Tensor,
                contrast_scale: torch.Tensor, flow: Optional[torch.Tensor] = None) -> torch.Tensor:
        if not torch.jit.is_tracing() and not torch.onnx.is_in_onnx_export():
            from .promotion_arch import check_inputs
            check_inputs(frames, motion, blur_weights, contrast_scale)
            if self.fuse_flow is not None:
                b, _, _, h, w = frames.shape
                if flow is None or tuple(flow.shape) != (b, 4, h, w):
                    raise ValueError(f'A directional_motion network needs flow [{b}, 4, {h}, {w}] (px) but received '
                                     f'{None if flow is None else tuple(flow.shape)}')
            elif flow is not None:
                raise ValueError('flow was given to a network without directional_motion')

        def prior() -> torch.Tensor:
            priors = prior_maps(frames, motion, contrast_scale, self.use_contrast, self.use_structure, self.use_motion)
            return self.prior_encoder.forward_export(priors) if self.export_graph else self.prior_encoder(priors)
        return self._restore(frames, motion, blur_weights, flow, prior)

    def forward_pooled_priors(self, frames: torch.Tensor, motion: torch.Tensor, blur_weights: torch.Tensor,
                              pooled: torch.Tensor) -> torch.Tensor:
        """forward() with the prior maps given, averaged over 2x2 pixels (priors.pooled_prior_maps of the same
        frames, motion and contrast scales): contract version 4's graph, whose runtime computes them once per call
        in a fraction of what ONNX Runtime spent on the maps' full-resolution arithmetic. Needs the prior branch at
        stride 2 and all three prior groups (the pooled maps hold every group)."""
        if self.prior_encoder is None or self.prior_encoder.stride != 2 or not (
                self.use_contrast and self.use_structure and self.use_motion) or self.fuse_flow is not None:
            raise ValueError('forward_pooled_priors needs a network with the prior branch at stride 2, all three '
                             'prior groups and no directional_motion')
        return self._restore(frames, motion, blur_weights, None, lambda: self.prior_encoder.from_pooled(pooled))

    def _restore(self, frames: torch.Tensor, motion: torch.Tensor, blur_weights: torch.Tensor,
                 flow: Optional[torch.Tensor], prior) -> torch.Tensor:
        """The network after its input checks; `prior()` gives the prior branch's output at H/4."""
        x = self._enter(frames, motion, blur_weights)
        if self.fuse_flow is not None:
            x = x + self.fuse_flow(flow_features(flow))
        skips = []
        for level, (encoder, down) in enumerate(zip(self.encoders, self.downs)):
            x = encoder(x)
            if level == 1 and self.prior_encoder is not None:
                x = x * prior()
            skips.append(x)
            x = down(x)
        x = self.middle(x)
        for up, decoder, skip in zip(self.ups, self.decoders, reversed(skips)):
            x = decoder(self._up(up, x) + skip)
        return F.pixel_shuffle(self.exit(x), 2) + frames[:, CENTRE_INDEX]
