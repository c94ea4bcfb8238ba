"""EDVR (Wang et al. 2019, BasicSR layout and parameter names) with PROMOTION's additions, each behind a switch.

EDVR part: predeblur module with hr_in (two stride-2 convs: features at H/4), per-frame feature extraction,
3-level pyramid, PCD alignment with modulated deformable conv (grid_sample form, dcn.py), TSA fusion,
reconstruction residual blocks, pixel shuffle x2 twice, plus the centre frame.

PROMOTION additions (paper Sec. 3):
- `use_priors` with `use_contrast` / `use_structure` / `use_motion`: the prior branch (priors.py) multiplied onto
  the TSA output at H/4. A switched-off group is fed zeros (Table 7 Ab1-i/s/m); `use_priors=False` removes the
  branch (Ab1).
- `use_blur_vector`: the blur reasoning vector (Eq. 4, the `blurWeights` input) multiplied per frame onto the
  aligned features, before TSA (Ab2).
- `use_channel_attention`: RCAN channel attention (reduction 16) in every residual block: predeblur (8),
  extraction and reconstruction (Ab3). With it in all of them the additions cost 0.122M parameters over EDVR-L,
  Table 6's 0.12M; in the reconstruction blocks alone they would cost 0.094M.
"""
from typing import List, Tuple

import torch
from torch import nn
from torch.nn import functional as F

from .. import CENTRE_INDEX, MIN_SIZE, PADDING_MULTIPLE, WINDOW_SIZE
from .dcn import DCNv2Pack
from .priors import PriorEncoder, prior_maps


class ChannelAttention(nn.Module):
    """RCAN's CA layer: global average pool, 1x1 conv down by `reduction`, ReLU, 1x1 conv up, sigmoid, scale."""

    def __init__(self, num_feat: int, reduction: int = 16) -> None:
        super().__init__()
        if num_feat < reduction:
            raise ValueError(f'ChannelAttention: num_feat {num_feat} must be at least the reduction {reduction}')
        self.down = nn.Conv2d(num_feat, num_feat // reduction, 1)
        self.up = nn.Conv2d(num_feat // reduction, num_feat, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x.mean(dim=(2, 3), keepdim=True)
        return x * torch.sigmoid(self.up(F.relu(self.down(y))))


class ResidualBlock(nn.Module):
    """BasicSR's ResidualBlockNoBN (conv, ReLU, conv, + identity), with optional channel attention (Fig. 7)."""

    def __init__(self, num_feat: int, channel_attention: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.ca = ChannelAttention(num_feat) if channel_attention else None
        for conv in (self.conv1, self.conv2):  # BasicSR default_init_weights(scale=0.1)
            nn.init.kaiming_normal_(conv.weight)
            with torch.no_grad():
                conv.weight.mul_(0.1)
            nn.init.zeros_(conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(F.relu(self.conv1(x)))
        if self.ca is not None:
            out = self.ca(out)
        return x + out


def _lrelu(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, 0.1)


def _up2(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2.0, mode='bilinear', align_corners=False)


class PredeblurModule(nn.Module):
    """BasicSR's PredeblurModule with hr_in=True. `lean`: the full- and half-resolution entry (conv_first and the two
    stride-2 convs) is replaced by a 4x4 space-to-depth (pixel unshuffle, 3 -> 48 channels at H/4) and one conv."""

    def __init__(self, num_feat: int, channel_attention: bool, lean: bool = False) -> None:
        super().__init__()
        self.lean = lean
        if lean:
            self.conv_first = nn.Conv2d(3 * 16, num_feat, 3, 1, 1)
        else:
            self.conv_first = nn.Conv2d(3, num_feat, 3, 1, 1)
            self.stride_conv_hr1 = nn.Conv2d(num_feat, num_feat, 3, 2, 1)
            self.stride_conv_hr2 = nn.Conv2d(num_feat, num_feat, 3, 2, 1)
        self.stride_conv_l2 = nn.Conv2d(num_feat, num_feat, 3, 2, 1)
        self.stride_conv_l3 = nn.Conv2d(num_feat, num_feat, 3, 2, 1)
        self.resblock_l3 = ResidualBlock(num_feat, channel_attention)
        self.resblock_l2_1 = ResidualBlock(num_feat, channel_attention)
        self.resblock_l2_2 = ResidualBlock(num_feat, channel_attention)
        self.resblock_l1 = nn.ModuleList([ResidualBlock(num_feat, channel_attention) for _ in range(5)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.lean:
            feat_l1 = _lrelu(self.conv_first(F.pixel_unshuffle(x, 4)))
        else:
            feat_l1 = _lrelu(self.conv_first(x))
            feat_l1 = _lrelu(self.stride_conv_hr1(feat_l1))
            feat_l1 = _lrelu(self.stride_conv_hr2(feat_l1))
        feat_l2 = _lrelu(self.stride_conv_l2(feat_l1))
        feat_l3 = _lrelu(self.stride_conv_l3(feat_l2))
        feat_l3 = _up2(self.resblock_l3(feat_l3))
        feat_l2 = self.resblock_l2_1(feat_l2) + feat_l3
        feat_l2 = _up2(self.resblock_l2_2(feat_l2))
        for block in self.resblock_l1[:2]:
            feat_l1 = block(feat_l1)
        feat_l1 = feat_l1 + feat_l2
        for block in self.resblock_l1[2:]:
            feat_l1 = block(feat_l1)
        return feat_l1


class PCDAlignment(nn.Module):
    """BasicSR's PCDAlignment: pyramid, cascading, deformable alignment of a neighbour to the reference."""

    def __init__(self, num_feat: int, deformable_groups: int) -> None:
        super().__init__()
        self.offset_conv1 = nn.ModuleDict()
        self.offset_conv2 = nn.ModuleDict()
        self.offset_conv3 = nn.ModuleDict()
        self.dcn_pack = nn.ModuleDict()
        self.feat_conv = nn.ModuleDict()
        for i in range(3, 0, -1):
            level = f'l{i}'
            self.offset_conv1[level] = nn.Conv2d(num_feat * 2, num_feat, 3, 1, 1)
            if i == 3:
                self.offset_conv2[level] = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
            else:
                self.offset_conv2[level] = nn.Conv2d(num_feat * 2, num_feat, 3, 1, 1)
                self.offset_conv3[level] = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
            self.dcn_pack[level] = DCNv2Pack(num_feat, num_feat, 3, 1, deformable_groups)
            if i < 3:
                self.feat_conv[level] = nn.Conv2d(num_feat * 2, num_feat, 3, 1, 1)
        self.cas_offset_conv1 = nn.Conv2d(num_feat * 2, num_feat, 3, 1, 1)
        self.cas_offset_conv2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.cas_dcnpack = DCNv2Pack(num_feat, num_feat, 3, 1, deformable_groups)

    def forward(self, nbr: List[torch.Tensor], ref: List[torch.Tensor]) -> torch.Tensor:
        up_offset = up_feat = None
        feat = nbr[0]
        for i in range(3, 0, -1):
            level = f'l{i}'
            offset = _lrelu(self.offset_conv1[level](torch.cat((nbr[i - 1], ref[i - 1]), dim=1)))
            if i == 3:
                offset = _lrelu(self.offset_conv2[level](offset))
            else:
                offset = _lrelu(self.offset_conv2[level](torch.cat((offset, up_offset), dim=1)))
                offset = _lrelu(self.offset_conv3[level](offset))
            feat = self.dcn_pack[level](nbr[i - 1], offset)
            if i < 3:
                feat = self.feat_conv[level](torch.cat((feat, up_feat), dim=1))
            if i > 1:
                feat = _lrelu(feat)
                up_offset = _up2(offset) * 2
                up_feat = _up2(feat)
        offset = torch.cat((feat, ref[0]), dim=1)
        offset = _lrelu(self.cas_offset_conv2(_lrelu(self.cas_offset_conv1(offset))))
        return _lrelu(self.cas_dcnpack(feat, offset))


class TSAFusion(nn.Module):
    """BasicSR's TSAFusion: temporal attention (correlation with the centre), fusion, spatial attention pyramid."""

    def __init__(self, num_feat: int, num_frame: int) -> None:
        super().__init__()
        self.temporal_attn1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.temporal_attn2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.feat_fusion = nn.Conv2d(num_frame * num_feat, num_feat, 1, 1)
        self.max_pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.avg_pool = nn.AvgPool2d(3, stride=2, padding=1)
        self.spatial_attn1 = nn.Conv2d(num_frame * num_feat, num_feat, 1)
        self.spatial_attn2 = nn.Conv2d(num_feat * 2, num_feat, 1)
        self.spatial_attn3 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.spatial_attn4 = nn.Conv2d(num_feat, num_feat, 1)
        self.spatial_attn5 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.spatial_attn_l1 = nn.Conv2d(num_feat, num_feat, 1)
        self.spatial_attn_l2 = nn.Conv2d(num_feat * 2, num_feat, 3, 1, 1)
        self.spatial_attn_l3 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.spatial_attn_add1 = nn.Conv2d(num_feat, num_feat, 1)
        self.spatial_attn_add2 = nn.Conv2d(num_feat, num_feat, 1)

    def forward(self, aligned: torch.Tensor) -> torch.Tensor:
        b, t, c, h, w = aligned.shape
        emb_ref = self.temporal_attn1(aligned[:, CENTRE_INDEX])
        emb = self.temporal_attn2(aligned.reshape(b * t, c, h, w)).view(b, t, c, h, w)
        corr = torch.sigmoid((emb * emb_ref.unsqueeze(1)).sum(dim=2))  # [B, T, H, W]
        aligned = (aligned * corr.unsqueeze(2)).reshape(b, t * c, h, w)
        feat = _lrelu(self.feat_fusion(aligned))
        attn = _lrelu(self.spatial_attn1(aligned))
        attn = _lrelu(self.spatial_attn2(torch.cat((self.max_pool(attn), self.avg_pool(attn)), dim=1)))
        level = _lrelu(self.spatial_attn_l1(attn))
        level = _lrelu(self.spatial_attn_l2(torch.cat((self.max_pool(level), self.avg_pool(level)), dim=1)))
        level = _up2(_lrelu(self.spatial_attn_l3(level)))
        attn = _lrelu(self.spatial_attn3(attn)) + level
        attn = _up2(_lrelu(self.spatial_attn4(attn)))
        attn = self.spatial_attn5(attn)
        attn_add = self.spatial_attn_add2(_lrelu(self.spatial_attn_add1(attn)))
        return feat * torch.sigmoid(attn) * 2 + attn_add


class Promotion(nn.Module):
    """EDVR with PROMOTION's additions. forward(frames, motion, blur_weights, contrast_scale) -> restored centre
    frame; the tensors are those of the runtime contract (models/README.md). Every input is taken whatever the
    switches, so the ONNX signature is the same for EDVR and PROMOTION models. forward is the composition of its
    two parts, `extract_features` (per frame) and `restore` (per window), which contract version 2 exports as two
    graphs so that each frame's features are computed once and reused by the windows that share it."""

    def __init__(self, num_feat: int = 128, num_extract_block: int = 5, num_reconstruct_block: int = 40,
                 deformable_groups: int = 8, use_priors: bool = True, use_contrast: bool = True,
                 use_structure: bool = True, use_motion: bool = True, use_blur_vector: bool = True,
                 use_channel_attention: bool = True, lean_io: bool = False) -> None:
        super().__init__()
        for name, value in (('num_feat', num_feat), ('num_extract_block', num_extract_block),
                            ('num_reconstruct_block', num_reconstruct_block),
                            ('deformable_groups', deformable_groups)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f'Expected a positive integer for {name} but received {value!r}')
        if num_feat % deformable_groups != 0:
            raise ValueError(f'num_feat {num_feat} must be a multiple of deformable_groups {deformable_groups}')
        if num_feat < 16:
            raise ValueError(f'Expected num_feat >= 16 (channel attention reduces by 16, the final convs use 64) '
                             f'but received {num_feat}')
        self.config = dict(num_feat=num_feat, num_extract_block=num_extract_block,
                           num_reconstruct_block=num_reconstruct_block, deformable_groups=deformable_groups,
                           use_priors=use_priors, use_contrast=use_contrast, use_structure=use_structure,
                           use_motion=use_motion, use_blur_vector=use_blur_vector,
                           use_channel_attention=use_channel_attention, lean_io=lean_io)
        ca = use_channel_attention
        self.use_priors, self.use_blur_vector = use_priors, use_blur_vector
        self.use_contrast, self.use_structure, self.use_motion = use_contrast, use_structure, use_motion
        self.lean_io = lean_io
        self.predeblur = PredeblurModule(num_feat, ca, lean_io)
        self.conv_1x1 = nn.Conv2d(num_feat, num_feat, 1, 1)
        self.feature_extraction = nn.Sequential(*[ResidualBlock(num_feat, ca) for _ in range(num_extract_block)])
        self.conv_l2_1 = nn.Conv2d(num_feat, num_feat, 3, 2, 1)
        self.conv_l2_2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_l3_1 = nn.Conv2d(num_feat, num_feat, 3, 2, 1)
        self.conv_l3_2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.pcd_align = PCDAlignment(num_feat, deformable_groups)
        self.fusion = TSAFusion(num_feat, WINDOW_SIZE)
        self.prior_encoder = PriorEncoder(num_feat) if use_priors else None
        self.reconstruction = nn.Sequential(*[ResidualBlock(num_feat, ca) for _ in range(num_reconstruct_block)])
        self.upconv1 = nn.Conv2d(num_feat, num_feat * 4, 3, 1, 1)
        self.pixel_shuffle = nn.PixelShuffle(2)
        if lean_io:  # the second upsampling straight to RGB: no convolution at full resolution
            self.conv_last = nn.Conv2d(num_feat, 3 * 4, 3, 1, 1)
        else:
            self.upconv2 = nn.Conv2d(num_feat, 64 * 4, 3, 1, 1)
            self.conv_hr = nn.Conv2d(64, 64, 3, 1, 1)
            self.conv_last = nn.Conv2d(64, 3, 3, 1, 1)

    def extract_features(self, frames: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per-frame features of single frames [N, 3, H, W] (any N): the three pyramid levels [N, C, H/4, W/4],
        [N, C, H/8, W/8] and [N, C, H/16, W/16]. A frame's features depend on that frame alone (and on the
        rectangle it was cut to, which is the same for every frame of a window), so a frame shared by consecutive
        windows needs them once: contract version 2 (models/README.md) exports this as its own graph."""
        feat_l1 = self.conv_1x1(self.predeblur(frames))
        feat_l1 = self.feature_extraction(feat_l1)
        feat_l2 = _lrelu(self.conv_l2_2(_lrelu(self.conv_l2_1(feat_l1))))
        feat_l3 = _lrelu(self.conv_l3_2(_lrelu(self.conv_l3_1(feat_l2))))
        return feat_l1, feat_l2, feat_l3

    def restore(self, feat_l1: torch.Tensor, feat_l2: torch.Tensor, feat_l3: torch.Tensor, frames: torch.Tensor,
                motion: torch.Tensor, blur_weights: torch.Tensor, contrast_scale: torch.Tensor) -> torch.Tensor:
        """The rest of the network from a window's features, stacked per window ([B, T, C, H/4, W/4], [B, T, C,
        H/8, W/8], [B, T, C, H/16, W/16], as `extract_features` gives them frame by frame): PCD alignment, blur
        vector, TSA fusion, priors, reconstruction. The other inputs are those of `forward`."""
        if not torch.jit.is_tracing() and not torch.onnx.is_in_onnx_export():
            check_inputs(frames, motion, blur_weights, contrast_scale)
            check_features(feat_l1, feat_l2, feat_l3, frames, self.config['num_feat'])
        return self._restore(feat_l1, feat_l2, feat_l3, frames, motion, blur_weights, contrast_scale)

    def _restore(self, feat_l1: torch.Tensor, feat_l2: torch.Tensor, feat_l3: torch.Tensor, frames: torch.Tensor,
                 motion: torch.Tensor, blur_weights: torch.Tensor, contrast_scale: torch.Tensor) -> torch.Tensor:
        b, t = frames.shape[0], frames.shape[1]
        x_center = frames[:, CENTRE_INDEX]
        ref = [feat_l1[:, CENTRE_INDEX], feat_l2[:, CENTRE_INDEX], feat_l3[:, CENTRE_INDEX]]
        aligned = torch.stack([self.pcd_align([feat_l1[:, i], feat_l2[:, i], feat_l3[:, i]], ref)
                               for i in range(t)], dim=1)  # [B, T, C, H/4, W/4]
        if self.use_blur_vector:
            aligned = aligned * blur_weights.view(b, t, 1, 1, 1)
        feat = self.fusion(aligned)
        if self.prior_encoder is not None:
            priors = prior_maps(frames, motion, contrast_scale, self.use_contrast, self.use_structure,
                                self.use_motion)
            feat = feat * self.prior_encoder(priors)
        out = self.reconstruction(feat)
        out = _lrelu(self.pixel_shuffle(self.upconv1(out)))
        if self.lean_io:
            return self.pixel_shuffle(self.conv_last(out)) + x_center
        out = _lrelu(self.pixel_shuffle(self.upconv2(out)))
        out = _lrelu(self.conv_hr(out))
        return self.conv_last(out) + x_center

    def forward(self, frames: torch.Tensor, motion: torch.Tensor, blur_weights: torch.Tensor,
                contrast_scale: torch.Tensor) -> torch.Tensor:
        b, t, c, h, w = frames.shape
        if not torch.jit.is_tracing() and not torch.onnx.is_in_onnx_export():
            check_inputs(frames, motion, blur_weights, contrast_scale)
        levels = self.extract_features(frames.reshape(b * t, c, h, w))
        feat_l1, feat_l2, feat_l3 = (f.view(b, t, -1, f.shape[-2], f.shape[-1]) for f in levels)
        return self._restore(feat_l1, feat_l2, feat_l3, frames, motion, blur_weights, contrast_scale)


def check_inputs(frames: torch.Tensor, motion: torch.Tensor, blur_weights: torch.Tensor,
                 contrast_scale: torch.Tensor) -> None:
    """Raises ValueError unless the tensors follow the runtime contract's shapes."""
    if frames.dim() != 5 or frames.shape[1] != WINDOW_SIZE or frames.shape[2] != 3:
        raise ValueError(f'Expected frames [B, {WINDOW_SIZE}, 3, H, W] but received {list(frames.shape)}')
    b, _, _, h, w = frames.shape
    if h % PADDING_MULTIPLE or w % PADDING_MULTIPLE or h < MIN_SIZE or w < MIN_SIZE:
        raise ValueError(f'Expected H and W multiples of {PADDING_MULTIPLE}, at least {MIN_SIZE}, but received '
                         f'{h}x{w} (pad with edge replication and crop the output)')
    if list(motion.shape) != [b, 1, h, w]:
        raise ValueError(f'Expected motion [{b}, 1, {h}, {w}] but received {list(motion.shape)}')
    for name, tensor in (('blurWeights', blur_weights), ('contrastScale', contrast_scale)):
        if list(tensor.shape) != [b, WINDOW_SIZE]:
            raise ValueError(f'Expected {name} [{b}, {WINDOW_SIZE}] but received {list(tensor.shape)}')


def check_features(feat_l1: torch.Tensor, feat_l2: torch.Tensor, feat_l3: torch.Tensor, frames: torch.Tensor,
                   num_feat: int) -> None:
    """Raises ValueError unless a window's features are [B, T, C, H/4, W/4], [B, T, C, H/8, W/8] and
    [B, T, C, H/16, W/16] (C = num_feat) for frames [B, T, 3, H, W]."""
    b, t, _, h, w = frames.shape
    c = num_feat
    for name, tensor, scale in (('featL1', feat_l1, 4), ('featL2', feat_l2, 8), ('featL3', feat_l3, 16)):
        want = [b, t, c, h // scale, w // scale]
        if list(tensor.shape) != want:
            raise ValueError(f'Expected {name} [B, {t}, C, H/{scale}, W/{scale}] = {want} for frames '
                             f'{list(frames.shape)} but received {list(tensor.shape)}')
