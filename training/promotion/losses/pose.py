"""A pose-aware loss term: MediaPipe's hand landmarks of the restored crop against those of the sharp crop.

The landmark network is MediaPipe's own (promotion/handpose/landmark_net.py, rebuilt from the .tflite file of
@mediapipe/hands, frozen); gradients flow through it to the restoration, never into it. Per training sample:

1. Find the hand in the sharp crop (no gradient): the network looks at the whole crop, squared (zero-padded) and
   resampled to 224 x 224, or, when the training data knows where a whole hand is (hand masks: the batch's
   `handBox`), at a square of 1.4 times that box's longer side around it. The network has no palm detector in
   front of it and finds a hand only when the hand fills much of what it looks at. Its 21 landmarks give the hand.
2. Cut the same square around the hand from the sharp and the restored crop, as MediaPipe's tracker cuts its
   region of interest from the previous frame's landmarks (hand_boxes): turned (`rotate`, default on) so that the
   wrist -> finger bases points up, around the palm's box, `box_scale` (default 2.0, MediaPipe's) times its longer
   side. The region is then found again from the landmarks in it, `track_steps` times (default 2), as the tracker
   does from frame to frame: the network finds more hands in a well placed, upright cut. Bilinear resampling
   (grid_sample) to 224 x 224; the region comes from the sharp crop alone, so both crops are cut identically.
3. Landmarks of both cuts; the term is the mean absolute difference of their x and y, in units of the cut's side
   (224 px), over the samples whose sharp cut holds a hand (presence >= `min_presence`, default 0.5), plus
   `presence_weight` (default 0) x the mean absolute difference of the presence scores, the flag by which
   MediaPipe's tracker decides that it lost the hand. Samples without a hand add nothing; a batch without any
   gives 0 (still part of the graph).

It is exactly 0 when restored == sharp (same cuts, same network). Train with one variant (`variant`, default
`lite`) and evaluate with the other (`promotion eval` scores with `full` by default), so that the restoration
cannot simply learn to please the estimator that scores it.
"""
import math
from typing import Dict, Optional, Tuple

import torch
from torch import nn
from torch.nn import functional as F

from ..handpose.landmark_net import INPUT_SIZE, VARIANTS, HandLandmarkNet

#: MediaPipe's landmark indices: the wrist and the bases (MCP) of the index, middle and ring fingers.
WRIST, INDEX_MCP, MIDDLE_MCP, RING_MCP = 0, 5, 9, 13
#: The landmarks MediaPipe's tracker boxes (hand_landmarks_to_rect_calculator: the palm and the first joints).
PALM_SUBSET = [0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18]

DEFAULT_VARIANT = 'lite'
#: Side of the square in which the hand is looked for around a known whole-hand box, times the box's longer side.
HAND_BOX_MARGIN = 1.4
DEFAULT_BOX_SCALE = 2.0
#: How many times the hand's region is recomputed from the landmarks found in it before the compared cut.
DEFAULT_TRACK_STEPS = 2
DEFAULT_MIN_PRESENCE = 0.5


def square_cuts(images: torch.Tensor, centres: torch.Tensor, sides: torch.Tensor,
                angles: Optional[torch.Tensor] = None, size: int = INPUT_SIZE) -> torch.Tensor:
    """Cuts a square of side `sides[b]` pixels centred at `centres[b]` (x, y in pixel-edge coordinates: 0 is the
    left edge of pixel 0), turned by `angles[b]` radians (the cut's up direction is image direction
    (sin a, -cos a)), from each image [B, C, H, W], resampled bilinearly to [B, C, size, size]; outside the
    image is 0. Differentiable in `images`."""
    b, _, h, w = images.shape
    if angles is None:
        angles = images.new_zeros(b)
    cos, sin = torch.cos(angles), torch.sin(angles)
    half = sides / 2
    # Pixel position p = c + R(a) (half * o) for output normalized coordinates o in [-1, 1]; input normalized
    # coordinates (align_corners=False) are 2 p / size - 1.
    theta = torch.stack([
        torch.stack([2 * half * cos / w, -2 * half * sin / w, 2 * centres[:, 0] / w - 1], dim=1),
        torch.stack([2 * half * sin / h, 2 * half * cos / h, 2 * centres[:, 1] / h - 1], dim=1),
    ], dim=1).to(images.dtype)
    grid = F.affine_grid(theta, [b, images.shape[1], size, size], align_corners=False)
    return F.grid_sample(images, grid, mode='bilinear', padding_mode='zeros', align_corners=False)


def hand_boxes(landmarks: torch.Tensor, centres: torch.Tensor, sides: torch.Tensor, box_scale: float,
               rotate: bool, angles: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """MediaPipe's tracking region from a hand's landmarks [B, 21, 3] found in a cut (`centres`, `sides`, `angles`
    as square_cuts takes them; landmarks in pixels of the 224 cut), as its HandLandmarksToRectCalculator and
    RectTransformation do:
    the angle that turns wrist -> (mean of the index and ring bases, averaged with the middle base) upright; the
    bounding box of the palm subset (wrist, thumb 1-3, the bases and first joints of the four fingers) in that
    turned frame; its centre moved by -0.1 of its height towards the fingers; a square of `box_scale` times its
    longer side. Returns centre (x, y), side and angle in the image's pixels and radians."""
    local = (landmarks[..., :2] / INPUT_SIZE - 0.5) * sides[:, None, None]
    if angles is not None:
        c, s = torch.cos(angles)[:, None], torch.sin(angles)[:, None]
        local = torch.stack([c * local[..., 0] - s * local[..., 1], s * local[..., 0] + c * local[..., 1]], dim=-1)
    xy = centres[:, None, :] + local
    wrist = xy[:, WRIST]
    if rotate:
        towards = ((xy[:, INDEX_MCP] + xy[:, RING_MCP]) / 2 + xy[:, MIDDLE_MCP]) / 2 - wrist
        angle = torch.atan2(towards[:, 0], -towards[:, 1])
    else:
        angle = torch.zeros_like(sides)
    cos, sin = torch.cos(angle)[:, None], torch.sin(angle)[:, None]
    rel = xy[:, PALM_SUBSET] - wrist[:, None]
    # Into the turned frame: q = R(-a) (p - wrist).
    q = torch.stack([cos * rel[..., 0] + sin * rel[..., 1], -sin * rel[..., 0] + cos * rel[..., 1]], dim=-1)
    lo, hi = q.min(dim=1).values, q.max(dim=1).values
    size = hi - lo
    mid = (lo + hi) / 2
    mid = torch.stack([mid[:, 0], mid[:, 1] - 0.1 * size[:, 1]], dim=1)
    cos, sin = cos[:, 0], sin[:, 0]
    centre = wrist + torch.stack([cos * mid[:, 0] - sin * mid[:, 1], sin * mid[:, 0] + cos * mid[:, 1]], dim=1)
    side = size.max(dim=1).values * box_scale
    return centre, side.clamp_min(1.0), angle


class HandPoseLoss(nn.Module):
    """See the module's comment. forward(restored, sharp): [B, 3, H, W] RGB in [0, 1] -> (loss, parts)."""

    def __init__(self, variant: str = DEFAULT_VARIANT, min_presence: float = DEFAULT_MIN_PRESENCE,
                 box_scale: float = DEFAULT_BOX_SCALE, rotate: bool = True, presence_weight: float = 0.0,
                 model: Optional[str] = None, track_steps: int = DEFAULT_TRACK_STEPS) -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f'Expected loss.pose.variant in {list(VARIANTS)} but received {variant!r}')
        if not isinstance(min_presence, (int, float)) or not 0 <= min_presence < 1:
            raise ValueError(f'Expected a number in [0, 1) for loss.pose.min_presence but received {min_presence!r}')
        if not isinstance(box_scale, (int, float)) or not 1 <= box_scale <= 4:
            raise ValueError(f'Expected a number in [1, 4] for loss.pose.box_scale but received {box_scale!r}')
        if not isinstance(presence_weight, (int, float)) or presence_weight < 0:
            raise ValueError(f'Expected a number >= 0 for loss.pose.presence_weight but received {presence_weight!r}')
        if not isinstance(track_steps, int) or isinstance(track_steps, bool) or not 0 <= track_steps <= 5:
            raise ValueError(f'Expected an integer in 0..5 for loss.pose.track_steps but received {track_steps!r}')
        self.track_steps = track_steps
        self.variant = variant
        self.min_presence, self.box_scale = float(min_presence), float(box_scale)
        self.rotate, self.presence_weight = bool(rotate), float(presence_weight)
        self.net = HandLandmarkNet.from_file(model) if model else HandLandmarkNet.from_variant(variant)

    def forward(self, restored: torch.Tensor, sharp: torch.Tensor,
                hand_boxes_px: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, Dict[str, float]]:
        """hand_boxes_px: optional [B, 4] boxes (x0, y0, x1, y1, crop pixels) of a whole hand per sample, from the
        training data's hand masks (SequenceDataset's handBox; x1 <= x0 for none): the hand is then looked for in
        a square of HAND_BOX_MARGIN times the box's longer side around it instead of in the whole crop."""
        if restored.shape != sharp.shape or restored.dim() != 4 or restored.shape[1] != 3:
            raise ValueError(f'Expected restored and sharp as [B, 3, H, W] of one shape but received '
                             f'{list(restored.shape)} and {list(sharp.shape)}')
        b, _, h, w = sharp.shape
        sharp = sharp.detach().clamp(0, 1)
        restored = restored.clamp(0, 1)
        with torch.no_grad():
            look_c = sharp.new_tensor([w / 2, h / 2]).repeat(b, 1)
            look_s = sharp.new_full((b,), float(max(h, w)))
            if hand_boxes_px is not None:
                if hand_boxes_px.shape != (b, 4):
                    raise ValueError(f'Expected hand boxes [{b}, 4] but received {list(hand_boxes_px.shape)}')
                boxes = hand_boxes_px.to(sharp.dtype)
                has = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
                look_c = torch.where(has[:, None], (boxes[:, :2] + boxes[:, 2:]) / 2, look_c)
                look_s = torch.where(has, (boxes[:, 2:] - boxes[:, :2]).max(dim=1).values * HAND_BOX_MARGIN, look_s)
            found = self.net(square_cuts(sharp, look_c, look_s))
            centre, side, angle = hand_boxes(found.landmarks, look_c, look_s, self.box_scale, self.rotate)
            target = self.net(square_cuts(sharp, centre, side, angle))
            for _ in range(self.track_steps):
                # As MediaPipe's tracker does from frame to frame: the region again from the landmarks just found.
                centre, side, angle = hand_boxes(target.landmarks, centre, side, self.box_scale, self.rotate, angle)
                target = self.net(square_cuts(sharp, centre, side, angle))
        keep = torch.nonzero(target.presence >= self.min_presence).flatten()
        if keep.numel() == 0:
            zero = restored.sum() * 0
            return zero, {'pose_landmarks': 0.0, 'pose_presence': 0.0, 'pose_hands': 0.0}
        # Only the samples that hold a hand go through the network with gradients.
        mine = self.net(square_cuts(restored[keep], centre[keep], side[keep], angle[keep]))
        landmark = (mine.landmarks[..., :2] - target.landmarks[keep, :, :2]).abs().mean() / INPUT_SIZE
        presence = (mine.presence - target.presence[keep]).abs().mean()
        total = landmark + self.presence_weight * presence
        return total, {'pose_landmarks': landmark.item(), 'pose_presence': presence.item(),
                       'pose_hands': keep.numel() / b}


def check_pose_spec(spec) -> Dict:
    """Validates a config's `loss.pose` mapping: {weight: > 0 to switch it on, and HandPoseLoss's options}."""
    if not isinstance(spec, dict):
        raise ValueError(f'Expected loss.pose as a mapping (weight, variant, ...) but received {spec!r}')
    known = {'weight', 'variant', 'min_presence', 'box_scale', 'rotate', 'presence_weight', 'model', 'track_steps'}
    unknown = sorted(set(spec) - known)
    if unknown:
        raise ValueError(f'Unknown loss.pose option(s) {unknown}; expected some of {sorted(known)}')
    weight = spec.get('weight', 0.0)
    if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0 or not math.isfinite(weight):
        raise ValueError(f'Expected a number >= 0 for loss.pose.weight but received {weight!r}')
    return dict(spec)
