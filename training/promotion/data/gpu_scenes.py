"""Training windows rendered on the fly, on the training device, from a photo pack (photo_pack.py): the same exact
blur as `promotion scenes` (src/blur-synthesis/exact.ts and scenes.ts), drawn afresh for every batch, so a GPU is
fed as fast as it trains and never sees a window twice, and nothing but the pack (a few MB) has to travel to it.

A scene: a pack crop (photos at 0.35-1x their native detail) seen through a camera that moves, rotates, zooms and
shakes (exact.ts's trajectory), and with some chance a foreground cut-out of another crop (a disc or an ellipse with
a soft edge, as scenes.ts's disc) crossing the view's centre at the window's centre frame. Frame k of the window
(k = -2..2, centre 0) is exposed over `n` of `ratio` (64) virtual frames around t = k: the blurred frame is the
mean of those renders in linear light (Eq. 8, gamma 2.2), the sharp frame the render at t = k. Each window draws
its exposure, so the set spans sharp frames under motion (n = 1-4: a high motion map and nothing to restore) to
full exposure.

Then what a camera and the runtime do: the input frames are gamma-encoded, get Gaussian sensor noise (sigma drawn
per window), are quantized to 8 bits and with some chance JPEG-compressed (a quality per window); the statistics
(blurWeights, contrastScale: promotion/statistics.py, here on the device) and the motion map (DIS flow as the
runtime computes it, flow_torch.py, at the model card's finest level) are those of the degraded frames, as at run
time. The sharp frame stays float (the target).

Every random choice comes from (seed, iteration): a rerun sees the same windows. Kinds per window (shares are
options): `camera` (camera motion only), `local` (a nearly still camera, at most 1 px per frame, with a moving
foreground), `mixed` (both).

`SpecScene` renders a scene that `promotion scenes` recorded (synthesis.json's spec) the same way, so that committed
sequences (the yardstick's validation set, say) can be rendered where there is no Node.js
(test/training/scene-render-parity.test.ts holds it to the TypeScript renderer).
"""
import json
import math
import os
from typing import Any, Dict, Iterator, List, Optional

import numpy as np
import torch
from torch.nn import functional as F

from .. import CENTRE_INDEX, WINDOW_SIZE
from ..statistics import torch_blur_weights, torch_contrast_scale, torch_grey_unit, torch_laplacian_variance

GAMMA = 2.2
#: Virtual frames per frame interval (1920 fps over 30 fps).
RATIO = 64

#: Defaults of the `scenes` options (config datasets.train.scenes).
DEFAULTS: Dict[str, Any] = {
    'size': 192,                # rendered frame side (the whole frame: statistics are over it)
    'crop': 0,                  # >0: train on a random crop of this side of each rendered frame (multiple of 16);
                                # the statistics and motion map stay those of the whole frame, as at run time
    'kinds': {'camera': 0.45, 'local': 0.25, 'mixed': 0.30},
    'camera_speed': [1.0, 40.0],  # px per frame (capped by the crop's room)
    'foreground_speed': [4.0, 40.0],
    # Exposure as a share of the frame interval: [[weight, min, max], ...] (1/64 .. 1).
    'exposure': [[0.15, 0.015, 0.0625], [0.25, 0.25, 0.6], [0.60, 0.6, 1.0]],
    'rotation_deg': [0.0, 1.5],
    'zoom_percent': [0.0, 1.5],
    'shake_px': [0.0, 2.0],
    'noise': [0.0, 0.006],
    'jpeg': [0.25, 60, 95],
    'texture': [4, 0.004],      # tries, threshold (promotion/data texture_score of the sharp centre frame)
    'finest_level': 2,          # DIS finest level of the motion map (the model card's motionMap.flow.finestLevel)
}


def load_pack(folder: str, device: torch.device) -> torch.Tensor:
    """The pack's crops as one [N, 3, S, S] tensor in linear light on `device`."""
    from PIL import Image
    info_path = os.path.join(folder, 'pack.json')
    if not os.path.isfile(info_path):
        raise ValueError(f'{folder} is not a photo pack (no pack.json): make one with python3 -m '
                         f'promotion.data.photo_pack')
    with open(info_path) as f:
        info = json.load(f)
    crops = []
    for entry in info['crops']:
        image = np.asarray(Image.open(os.path.join(folder, entry['file'])).convert('RGB'), dtype=np.float32) / 255
        if image.shape[:2] != (info['side'], info['side']):
            raise ValueError(f'{folder}/{entry["file"]} is {image.shape[1]}x{image.shape[0]}, not {info["side"]} square')
        crops.append(torch.from_numpy(image.transpose(2, 0, 1).copy()))
    if not crops:
        raise ValueError(f'{folder}: the pack holds no crops')
    return torch.stack(crops).to(device).pow_(GAMMA)


def _uniform(rng: np.random.Generator, lo_hi, size=None):
    return rng.uniform(lo_hi[0], lo_hi[1], size)


def draw_scenes(rng: np.random.Generator, batch: int, opts: Dict[str, Any], crops: int, side: int) -> Dict[str, np.ndarray]:
    """Every random choice of a batch of windows, as arrays (float64 unless said)."""
    size = opts['size']
    kinds = list(opts['kinds'])
    share = np.asarray([opts['kinds'][k] for k in kinds], dtype=np.float64)
    kind = rng.choice(len(kinds), size=batch, p=share / share.sum())
    is_local = np.asarray([kinds[k] == 'local' for k in kind])
    has_fg = np.asarray([kinds[k] in ('local', 'mixed') for k in kind])
    # Room: the view's half-diagonal (zoom at least ~0.96 over the window) on each side of the path, over the
    # window's span of 5 frame intervals (-2.5 .. 2.5) plus sway and shake.
    half_diag = 0.5 * math.sqrt(2) * size / 0.95
    room = side - 2 * half_diag - 8
    cap = max(1.0, min(opts['camera_speed'][1], room / 5.5))
    speed = np.where(is_local, rng.uniform(0, 1, batch), rng.uniform(min(opts['camera_speed'][0], cap), cap, batch))
    direction = rng.uniform(0, 2 * math.pi, batch)
    vx, vy = speed * np.cos(direction), speed * np.sin(direction)
    slack = np.maximum(0.0, room / 2 - speed * 2.75)
    sway_amp = np.minimum(rng.uniform(0, 1, batch) * speed * 0.5, slack * 0.5)
    shake_amp = np.minimum(_uniform(rng, opts['shake_px'], batch), slack * 0.25)
    free = np.maximum(0.0, slack - sway_amp - shake_amp)
    cx0 = side / 2 + rng.uniform(-1, 1, batch) * free * 0.7
    cy0 = side / 2 + rng.uniform(-1, 1, batch) * free * 0.7
    sign = lambda: np.where(rng.uniform(0, 1, batch) < 0.5, -1.0, 1.0)  # noqa: E731
    angular = sign() * _uniform(rng, opts['rotation_deg'], batch) * math.pi / 180
    zoom_rate = 1 + sign() * _uniform(rng, opts['zoom_percent'], batch) / 100
    groups = np.asarray(opts['exposure'], dtype=np.float64)
    group = rng.choice(len(groups), size=batch, p=groups[:, 0] / groups[:, 0].sum())
    exposure = rng.uniform(groups[group, 1], groups[group, 2])
    n = np.clip(np.round(exposure * RATIO), 1, RATIO).astype(np.int64)
    fg_speed = _uniform(rng, opts['foreground_speed'], batch)
    fg_dir = rng.uniform(0, 2 * math.pi, batch)
    noise = _uniform(rng, opts['noise'], batch)
    jpeg_on = rng.uniform(0, 1, batch) < opts['jpeg'][0]
    quality = rng.integers(int(opts['jpeg'][1]), int(opts['jpeg'][2]) + 1, batch)
    return {
        'photo': rng.integers(0, crops, batch), 'fg_photo': rng.integers(0, crops, batch),
        'vx': vx, 'vy': vy, 'cx0': cx0, 'cy0': cy0,
        'sway_amp': sway_amp, 'sway_period': rng.uniform(5, 15, batch), 'sway_phase': rng.uniform(0, 2 * math.pi, batch),
        'shake_amp': shake_amp, 'shake_freq': rng.uniform(0.05, 0.3, batch),
        'shake_px': rng.uniform(0, 6.3, batch), 'shake_py': rng.uniform(0, 6.3, batch),
        'angular': angular, 'zoom_rate': zoom_rate, 'n': n,
        'has_fg': has_fg, 'fg_diameter': rng.uniform(0.25, 0.5, batch) * size,
        'fg_aspect': rng.uniform(0.6, 1.0, batch), 'fg_tilt': rng.uniform(0, math.pi, batch),
        'fg_vx': fg_speed * np.cos(fg_dir), 'fg_vy': fg_speed * np.sin(fg_dir),
        'fg_sway_amp': rng.uniform(0, 10, batch), 'fg_sway_period': rng.uniform(10, 40, batch),
        'fg_sway_phase': rng.uniform(0, 6.3, batch), 'fg_angular': rng.uniform(-0.05, 0.05, batch),
        'fg_scale': rng.uniform(1.0, 3.0, batch),
        'fg_ox': rng.uniform(-0.25, 0.25, batch) * side, 'fg_oy': rng.uniform(-0.25, 0.25, batch) * side,
        'noise': noise, 'jpeg': jpeg_on, 'quality': quality,
    }


def _t(x: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.as_tensor(x, dtype=torch.float32, device=device)


def _camera(p: Dict[str, torch.Tensor], t: torch.Tensor):
    """exact.ts trajectoryFromParameters at times t [B, K]: (cx, cy, angle, zoom), each [B, K]."""
    col = lambda k: p[k][:, None]  # noqa: E731
    speed = torch.sqrt(col('vx') ** 2 + col('vy') ** 2)
    moving = speed > 0
    nx = torch.where(moving, -col('vy') / speed.clamp_min(1e-12), torch.zeros_like(speed))
    ny = torch.where(moving, col('vx') / speed.clamp_min(1e-12), torch.ones_like(speed))
    sway = col('sway_amp') * torch.sin(2 * math.pi * t / col('sway_period') + col('sway_phase'))
    sx = col('shake_amp') * torch.sin(2 * math.pi * col('shake_freq') * t + col('shake_px'))
    sy = col('shake_amp') * torch.sin(2 * math.pi * col('shake_freq') * 1.37 * t + col('shake_py'))
    cx = col('cx0') + col('vx') * t + nx * sway + sx
    cy = col('cy0') + col('vy') * t + ny * sway + sy
    return cx, cy, col('angular') * t, torch.pow(col('zoom_rate'), t)


def _foreground(p: Dict[str, torch.Tensor], t: torch.Tensor, size: int):
    """The foreground layer's centre in output pixels (crossing the centre at t = 0) and rotation, [B, K]: a
    trajectory (`_camera`) without shake or zoom, as scenes.ts draws a foreground's."""
    zero, one = torch.zeros_like(p['fg_vx']), torch.ones_like(p['fg_vx'])
    cx, cy, angle, _ = _camera({'cx0': zero + (size - 1) / 2, 'cy0': zero + (size - 1) / 2, 'vx': p['fg_vx'],
                                'vy': p['fg_vy'], 'sway_amp': p['fg_sway_amp'], 'sway_period': p['fg_sway_period'],
                                'sway_phase': p['fg_sway_phase'], 'shake_amp': zero, 'shake_freq': one,
                                'shake_px': zero, 'shake_py': zero, 'angular': p['fg_angular'], 'zoom_rate': one}, t)
    return cx, cy, angle


def render(pack: torch.Tensor, p: Dict[str, torch.Tensor], times: torch.Tensor, size: int) -> torch.Tensor:
    """Linear-light renders [B, K, 3, size, size] of each scene at its K times [B, K]."""
    b, k = times.shape
    device = pack.device
    side = pack.shape[-1]
    coords = torch.arange(size, device=device, dtype=torch.float32) - (size - 1) / 2
    dy, dx = torch.meshgrid(coords, coords, indexing='ij')  # [S, S]
    cx, cy, angle, zoom = _camera(p, times)
    c, s = torch.cos(angle)[..., None, None], torch.sin(angle)[..., None, None]
    zx, zy = dx / zoom[..., None, None], dy / zoom[..., None, None]
    px = cx[..., None, None] + c * zx - s * zy  # photo pixel coordinates [B, K, S, S]
    py = cy[..., None, None] + s * zx + c * zy
    # grid_sample with align_corners=True: -1 and 1 are the centres of the first and last pixels.
    grid = torch.stack((px / (side - 1) * 2 - 1, py / (side - 1) * 2 - 1), -1).reshape(b, k * size, size, 2)
    background = pack[p['photo_index']]
    out = F.grid_sample(background, grid, mode='bilinear', padding_mode='reflection', align_corners=True)
    out = out.reshape(b, 3, k, size, size).permute(0, 2, 1, 3, 4)
    sel = torch.nonzero(p['has_fg'] > 0).flatten()
    if len(sel):
        # Only the scenes that have a foreground: the layer's maths is as heavy as the background's.
        q = {key: value[sel] for key, value in p.items() if key != 'photo_index'}
        m = len(sel)
        lcx, lcy, langle = _foreground(q, times[sel], size)
        ys = torch.arange(size, device=device, dtype=torch.float32)
        oy, ox = torch.meshgrid(ys, ys, indexing='ij')
        ddx, ddy = ox - lcx[..., None, None], oy - lcy[..., None, None]
        cl, sl = torch.cos(-langle)[..., None, None], torch.sin(-langle)[..., None, None]
        lx, ly = cl * ddx - sl * ddy, sl * ddx + cl * ddy  # layer coordinates about its centre
        # Soft-edged ellipse (scenes.ts's disc: alpha = clamp((1 - r) * 8, 0, 1)), tilted.
        tilt = q['fg_tilt'][:, None, None, None]
        ex = torch.cos(tilt) * lx + torch.sin(tilt) * ly
        ey = -torch.sin(tilt) * lx + torch.cos(tilt) * ly
        radius = q['fg_diameter'][:, None, None, None] / 2
        r = torch.sqrt(ex ** 2 + (ey / q['fg_aspect'][:, None, None, None]) ** 2) / radius
        alpha = ((1 - r) * 8).clamp(0, 1)
        # Its texture: the other crop around a random point, shrunk by fg_scale (scenes.ts fits the photo in 3x
        # the disc and cuts its middle).
        scale = q['fg_scale'][:, None, None, None]
        qx = (side - 1) / 2 + q['fg_ox'][:, None, None, None] + scale * lx
        qy = (side - 1) / 2 + q['fg_oy'][:, None, None, None] + scale * ly
        g = torch.stack((qx / (side - 1) * 2 - 1, qy / (side - 1) * 2 - 1), -1).reshape(m, k * size, size, 2)
        fg = F.grid_sample(pack[q['fg_index']], g, mode='bilinear', padding_mode='reflection', align_corners=True)
        fg = fg.reshape(m, 3, k, size, size).permute(0, 2, 1, 3, 4)
        a = alpha[:, :, None]
        out = out.clone()
        out[sel] = (1 - a) * out[sel] + a * fg
    return out


def _jpeg(frames: torch.Tensor, quality: int) -> torch.Tensor:
    """[T, 3, H, W] uint8 frames through JPEG at `quality` (torchvision, on the frames' device where it can)."""
    from torchvision.io import decode_jpeg, encode_jpeg
    try:
        encoded = [e.cpu() for e in encode_jpeg(list(frames), quality=quality)]
        return torch.stack(decode_jpeg(encoded, device=frames.device)).to(frames.device)
    except Exception:  # noqa: BLE001 (a torchvision without the device's codec, or an older one without lists)
        cpu = frames.cpu()
        return torch.stack([decode_jpeg(encode_jpeg(f, quality=quality)) for f in cpu]).to(frames.device)


class SceneBatches:
    """Iterable of training batches for iterations start..stop-1, rendered on `device` (the dict train.py's loop
    takes: frames [B, 5, 3, S, S], motion [B, 1, S, S], blurWeights [B, 5], contrastScale [B, 5], gt [B, 3, S, S],
    handBox [B, 4] all -1)."""

    def __init__(self, pack_folder: str, batch_size: int, seed: int, start: int, stop: int,
                 device: torch.device, options: Optional[Dict[str, Any]] = None) -> None:
        unknown = set(options or {}) - set(DEFAULTS)
        if unknown:
            raise ValueError(f'Unknown scenes options {sorted(unknown)} (known: {sorted(DEFAULTS)})')
        self.opts = {**DEFAULTS, **(options or {})}
        if self.opts['size'] % 16 or self.opts['size'] < 32:
            raise ValueError(f'Expected scenes.size a multiple of 16, at least 32, but received {self.opts["size"]!r}')
        crop = self.opts['crop']
        if not isinstance(crop, int) or crop < 0 or crop % 16 or crop > self.opts['size'] or 0 < crop < 32:
            raise ValueError(f'Expected scenes.crop 0 (none) or a multiple of 16 from 32 to scenes.size '
                             f'({self.opts["size"]}) but received {crop!r}')
        self.pack = load_pack(pack_folder, device)
        if self.pack.shape[-1] < self.opts['size'] * 1.5 + 40:
            raise ValueError(f'The pack\'s crops ({self.pack.shape[-1]} px) leave no room for a camera path over '
                             f'{self.opts["size"]} px frames: make a pack with --side at least '
                             f'{math.ceil(self.opts["size"] * 1.5 + 40)}')
        self.batch, self.seed, self.start, self.stop, self.device = batch_size, seed, start, stop, device

    def __len__(self) -> int:
        return self.stop - self.start

    def __iter__(self) -> Iterator[Dict[str, torch.Tensor]]:
        for i in range(self.start, self.stop):
            yield self.batch_at(i)

    @torch.no_grad()
    def batch_at(self, iteration: int) -> Dict[str, torch.Tensor]:
        from ..flow_torch import grey_255, motion_map
        opts, size, device = self.opts, self.opts['size'], self.device
        rng = np.random.default_rng([self.seed, iteration])
        tries, threshold = int(opts['texture'][0]), float(opts['texture'][1])
        raw = draw_scenes(rng, self.batch, opts, self.pack.shape[0], self.pack.shape[-1])
        p = {k: _t(v, device) for k, v in raw.items()}
        p['photo_index'] = torch.as_tensor(raw['photo'], device=device)
        p['fg_index'] = torch.as_tensor(raw['fg_photo'], device=device)
        # Texture: redraw the photo of windows whose sharp centre frame is flat (up to `tries` draws).
        for _ in range(tries - 1):
            sharp = render(self.pack, p, torch.zeros(self.batch, 1, device=device), size)[:, 0]
            g = torch_grey_unit(sharp.clamp(0, 1).pow(1 / GAMMA))
            score = ((g[:, 1:] - g[:, :-1]).abs().mean((-2, -1)) + (g[:, :, 1:] - g[:, :, :-1]).abs().mean((-2, -1))) / 2
            flat = score < threshold
            if not bool(flat.any()):
                break
            p['photo_index'] = torch.where(flat, torch.as_tensor(rng.integers(0, self.pack.shape[0], self.batch),
                                                                 device=device), p['photo_index'])
        n = p['n']
        j = torch.arange(RATIO, device=device, dtype=torch.float32)
        frames: List[torch.Tensor] = []
        sharp = None
        for k in range(WINDOW_SIZE):
            t = (k - CENTRE_INDEX) + (j[None] - (n[:, None] - 1) / 2) / RATIO  # [B, 64]
            used = (j[None] < n[:, None]).float()
            t = torch.where(used > 0, t, torch.full_like(t, float(k - CENTRE_INDEX)))
            views = render(self.pack, p, t, size)  # [B, 64, 3, S, S]
            frames.append((views * used[:, :, None, None, None]).sum(1) / n[:, None, None, None])
            if k == CENTRE_INDEX:
                sharp = render(self.pack, p, torch.zeros(self.batch, 1, device=device), size)[:, 0]
        linear = torch.stack(frames, 1).clamp(0, 1)
        encoded = linear.pow(1 / GAMMA)
        gen = torch.Generator(device=device).manual_seed(int(rng.integers(0, 2 ** 62)))
        noise = torch.randn(encoded.shape, generator=gen, device=device, dtype=encoded.dtype)
        encoded = encoded + noise * p['noise'][:, None, None, None, None]
        quantized = torch.round(encoded.clamp(0, 1) * 255).to(torch.uint8)
        for b in np.nonzero(raw['jpeg'])[0]:
            quantized[b] = _jpeg(quantized[b], int(raw['quality'][b]))
        inputs = quantized.float() / 255
        g = torch_grey_unit(inputs)
        variances, scales = torch_laplacian_variance(g), torch_contrast_scale(g)
        prev, centre, nxt = (grey_255(inputs[:, CENTRE_INDEX + d]) for d in (-1, 0, 1))
        motion, _ = motion_map(prev, centre, nxt, finest_level=int(opts['finest_level']))
        gt = sharp.clamp(0, 1).pow(1 / GAMMA)
        crop = int(opts['crop'])
        if crop and crop < size:
            # A crop of each whole frame; the statistics above stay the whole frame's, as deblur() computes them.
            oy = rng.integers(0, size - crop + 1, self.batch)
            ox = rng.integers(0, size - crop + 1, self.batch)
            cut = lambda x: torch.stack([x[b, ..., oy[b]:oy[b] + crop, ox[b]:ox[b] + crop]  # noqa: E731
                                         for b in range(self.batch)])
            inputs, motion, gt = cut(inputs), cut(motion), cut(gt)
        return {
            'frames': inputs.contiguous(),
            'motion': motion.contiguous(),
            'blurWeights': torch_blur_weights(variances).float(),
            'contrastScale': scales.float(),
            'gt': gt.contiguous(),
            'handBox': torch.full((self.batch, 4), -1.0, device=device),
        }


def _trajectory(p: Dict[str, Any], t: torch.Tensor):
    """A scene spec's TrajectoryParameters (exact.ts) at times t (1-D): (cx, cy, angle, zoom), by `_camera`."""
    one = lambda v: torch.tensor([float(v)], dtype=t.dtype, device=t.device)  # noqa: E731
    sway, shake = p['sway'], p['shake']
    params = {'cx0': one(p['start']['x']), 'cy0': one(p['start']['y']), 'vx': one(p['velocity']['x']),
              'vy': one(p['velocity']['y']), 'sway_amp': one(sway['amplitudePx']),
              'sway_period': one(sway['periodFrames']), 'sway_phase': one(sway['phase']),
              'shake_amp': one(shake['amplitudePx']), 'shake_freq': one(shake['frequency']),
              'shake_px': one(shake['phaseX']), 'shake_py': one(shake['phaseY']),
              'angular': one(p['angularVelocity']), 'zoom_rate': one(p['zoomRate'])}
    return tuple(v[0] for v in _camera(params, t[None]))


def _fitted(path: str, box_w: int, box_h: int, device: torch.device) -> torch.Tensor:
    """A photo fitted inside box_w x box_h (never enlarged, Lanczos), linear light, [3, H, W] (scenes.ts's
    decodeImageFit; libvips' lanczos3 and PIL's Lanczos differ in the last bits)."""
    from PIL import Image
    image = Image.open(path).convert('RGB')
    fit = min(box_w / image.width, box_h / image.height, 1)
    if fit < 1:
        image = image.resize((max(1, round(image.width * fit)), max(1, round(image.height * fit))), Image.LANCZOS)
    array = np.asarray(image, dtype=np.float32) / 255
    return torch.from_numpy(array.transpose(2, 0, 1).copy()).to(device).pow_(GAMMA)


def _sample(image: torch.Tensor, x: torch.Tensor, y: torch.Tensor, padding: str) -> torch.Tensor:
    """Bilinear samples of image [C, H, W] at pixel coordinates x, y [K, h, w]: [K, C, h, w]."""
    c, h, w = image.shape
    grid = torch.stack((x / (w - 1) * 2 - 1, y / (h - 1) * 2 - 1), -1)
    k = grid.shape[0]
    out = F.grid_sample(image[None], grid.reshape(1, k * grid.shape[1], grid.shape[2], 2), mode='bilinear',
                        padding_mode=padding, align_corners=True)
    return out.reshape(c, k, grid.shape[1], grid.shape[2]).permute(1, 0, 2, 3)


class SpecScene:
    """A scene as `promotion scenes` recorded it (synthesis.json's `scene`), rendered in PyTorch with exact.ts's
    math: the renders of a committed sequence (the yardstick's, say) on a machine without Node.js, from its spec and
    its photos (`photos`: a folder to find them in by file name; default: the paths the spec names)."""

    def __init__(self, spec: Dict[str, Any], device: torch.device, photos: Optional[str] = None) -> None:
        locate = (lambda p: os.path.join(photos, os.path.basename(p))) if photos else (lambda p: p)
        self.spec, self.device = spec, device
        scale = spec.get('photoScale', 5)
        self.width, self.height = spec['width'], spec['height']
        self.background = _fitted(locate(spec['photo']), round(scale * self.width), round(scale * self.height), device)
        self.layer = None
        fg = spec.get('foreground')
        if fg:
            size = fg['sizePx']
            src = _fitted(locate(fg['photo']), 3 * size, 3 * size, device)
            ox = max(0, (src.shape[2] - size) // 2)
            oy = max(0, (src.shape[1] - size) // 2)
            xs = torch.clamp(torch.arange(size, device=device) + ox, max=src.shape[2] - 1)
            ys = torch.clamp(torch.arange(size, device=device) + oy, max=src.shape[1] - 1)
            image = src[:, ys][:, :, xs]
            grid = torch.arange(size, device=device, dtype=torch.float32) - (size - 1) / 2
            gy, gx = torch.meshgrid(grid, grid, indexing='ij')
            alpha = ((1 - torch.sqrt(gx ** 2 + gy ** 2) / (size / 2)) * 8).clamp(0, 1)
            self.layer = (image, alpha[None], fg['path'])

    @torch.no_grad()
    def render(self, times: torch.Tensor) -> torch.Tensor:
        """Linear-light renders [K, 3, H, W] at times [K] (frame intervals)."""
        times = times.to(self.device, torch.float64)
        w, h = self.width, self.height
        ys = torch.arange(h, device=self.device, dtype=torch.float64)
        xs = torch.arange(w, device=self.device, dtype=torch.float64)
        py, px = torch.meshgrid(ys, xs, indexing='ij')
        cx, cy, angle, zoom = _trajectory(self.spec['camera'], times)
        e = lambda v: v[:, None, None]  # noqa: E731
        dx, dy = (px - (w - 1) / 2) / e(zoom), (py - (h - 1) / 2) / e(zoom)
        bx = e(cx) + torch.cos(e(angle)) * dx - torch.sin(e(angle)) * dy
        by = e(cy) + torch.sin(e(angle)) * dx + torch.cos(e(angle)) * dy
        out = _sample(self.background, bx.float(), by.float(), 'border')
        if self.layer is not None:
            image, alpha, path = self.layer
            size = image.shape[-1]
            lcx, lcy, langle, lzoom = _trajectory(path, times)
            ddx, ddy = (px - e(lcx)) / e(lzoom), (py - e(lcy)) / e(lzoom)
            c, s = torch.cos(-e(langle)), torch.sin(-e(langle))
            lx = (size - 1) / 2 + c * ddx - s * ddy
            ly = (size - 1) / 2 + s * ddx + c * ddy
            inside = ((lx >= 0) & (ly >= 0) & (lx <= size - 1) & (ly <= size - 1)).float()[:, None]
            a = _sample(alpha, lx.float(), ly.float(), 'border') * inside
            out = (1 - a) * out + a * _sample(image, lx.float(), ly.float(), 'border')
        return out

    def frame(self, k: int, ratio: int = RATIO, exposure_frames: int = RATIO, chunk: int = 16):
        """(sharp, blurred) of frame k, linear light [3, H, W] (exact.ts renderExact)."""
        times = k + (torch.arange(exposure_frames, dtype=torch.float64) - (exposure_frames - 1) / 2) / ratio
        total = None
        for part in times.split(chunk):
            s = self.render(part).double().sum(0)
            total = s if total is None else total + s
        return self.render(torch.tensor([float(k)]))[0], (total / exposure_frames).float()
