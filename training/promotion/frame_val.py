"""Validation on whole frames, as the yardstick measures through deblur() (bench/yardstick.ts): each sequence's
frames read as 8-bit, every frame restored from its 5-frame window (edge frames repeated at the ends, as
src/stream/window.ts does), the statistics and the motion map over the whole frame (the map of the blurred frames
by DIS at the card's finest level; the first and last frames get their one flow, as src/flow/motion-map.ts does),
edge padding to a multiple of 16, the clamp to the input's local range, the output rounded to 8 bits, and PSNR over
RGB with a peak of 255, averaged over a sequence's frames; each sequence counts once in the means.

A 640x480 frame is one tile at the cards' tile size, so this is deblur()'s arithmetic in PyTorch, and its gains
agree with `node dist/bench/yardstick.js --set val` (the shipped model's +0.689 dB either way, docs/deblur-model.md;
tests/test_frame_val.py holds its windows, inputs, clamp and PSNR to their definitions).
It lets a run pick its checkpoints where there is no Node.js (a lent GPU machine), instead of by crops.

The sequences: a yardstick folder (`<root>/<kind>/<scene>/{blur,sharp}/*.png`, read as the yardstick reads them),
or, where the frames do not travel (a GPU machine takes 64 MiB), the same folder holding only each sequence's
`synthesis.json` and a folder of the photos it names, rendered on the device by gpu_scenes.SpecScene (53-58 dB from
the committed frames: docs/deblur-model.md).

    cd training && /usr/bin/python3 -m promotion.frame_val ../.yardstick/val --model ../models/promotion-c.json
"""
import argparse
import json
import os
import sys
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from torch.nn import functional as F

from . import CENTRE_INDEX, PADDING_MULTIPLE, WINDOW_SIZE
from .local_range import (check_clamp_motion, check_deadband, check_deadband_flat, clamp_output, parse_clamp_motion,
                          shrink_residual)
from .onnx_weights import read_card
from .statistics import torch_blur_weights, torch_contrast_scale, torch_grey_unit, torch_laplacian_variance


def _read_8bit(path: str) -> np.ndarray:
    """[H, W, 3] uint8 as the yardstick reads a frame: libvips' rgb16 -> srgb keeps a 16-bit sample's high byte."""
    from .data.png import read_png
    samples, peak = read_png(path)
    if samples.ndim != 3:
        raise ValueError(f'{path}: expected an RGB frame')
    if peak == 255:
        return samples.astype(np.uint8)
    return (samples.astype(np.uint16) >> 8).astype(np.uint8)


def _frames(folder: str) -> torch.Tensor:
    names = sorted(n for n in os.listdir(folder) if n.endswith('.png'))
    if not names:
        raise ValueError(f'{folder}: no PNG frames')
    return torch.from_numpy(np.stack([_read_8bit(os.path.join(folder, n)) for n in names])).permute(0, 3, 1, 2)


def _rendered(spec: Dict[str, Any], photos: Optional[str], device: torch.device, frames: int):
    """(blurred, sharp) uint8 [T, 3, H, W] of a recorded scene, rendered (full exposure, as the yardstick's)."""
    from .data.gpu_scenes import GAMMA, SpecScene
    scene = SpecScene(spec, device, photos)
    blurred, sharp = [], []
    for k in range(frames):
        s, b = scene.frame(k)
        # As the renderer writes (16-bit PNG samples) and the yardstick reads them (the high byte).
        encode = lambda x: torch.div(torch.round(x.clamp(0, 1).pow(1 / GAMMA) * 65535).to(torch.int32), 256,  # noqa: E731
                                     rounding_mode='floor').to(torch.uint8)
        sharp.append(encode(s))
        blurred.append(encode(b))
    return torch.stack(blurred), torch.stack(sharp)


def find_sequences(root: str) -> List[Dict[str, str]]:
    """The sequence folders under root (`<kind>/<scene>` holding synthesis.json), sorted."""
    if not os.path.isdir(root):
        raise ValueError(f'{root} is not a folder of validation sequences (make one with datasets/build-yardstick.sh)')
    found = []
    for kind in sorted(os.listdir(root)):
        if not os.path.isdir(os.path.join(root, kind)):
            continue
        for scene in sorted(os.listdir(os.path.join(root, kind))):
            folder = os.path.join(root, kind, scene)
            if os.path.isfile(os.path.join(folder, 'synthesis.json')):
                found.append({'kind': kind, 'id': f'{kind}/{scene}', 'folder': folder})
    if not found:
        raise ValueError(f'{root}: no <kind>/<scene>/synthesis.json sequences')
    return found


class FrameValidation:
    """The sequences under `root` prepared once on `device` (frames, statistics, motion maps), scored by `score`."""

    def __init__(self, root: str, device: torch.device, photos: Optional[str] = None, finest_level: int = 2,
                 clamp_radius: int = 3, render: bool = False, flow: bool = False, clamp_motion=None,
                 deadband: float = 0.0, deadband_flat: Optional[float] = None) -> None:
        """`flow`: keep each frame's flow vectors too (flow_torch.motion_input), for networks with
        directional_motion (the other networks are scored without them). `clamp_motion` ((scale, max_radius),
        local_range.check_clamp_motion): the clamp's radius follows each pixel's motion, from clamp_radius up
        (it keeps the flow vectors too)."""
        from .flow_torch import grey_255, motion_input
        self.device, self.clamp_radius, self.clamp_motion = device, clamp_radius, clamp_motion
        # 8-bit grey levels the residual shrinks by before the clamp, where the input spans at most deadband_flat
        # levels within the clamp radius (a card's deadband and deadbandFlat; None: everywhere)
        self.deadband, self.deadband_flat = deadband, deadband_flat
        flow = flow or clamp_motion is not None
        self.sequences: List[Dict[str, Any]] = []
        for entry in find_sequences(root):
            folder = entry['folder']
            if render or not os.path.isdir(os.path.join(folder, 'blur')):
                with open(os.path.join(folder, 'synthesis.json')) as f:
                    info = json.load(f)
                blurred, sharp = _rendered(info['scene'], photos, device, int(info['frames']))
            else:
                blurred, sharp = _frames(os.path.join(folder, 'blur')), _frames(os.path.join(folder, 'sharp'))
            blurred, sharp = blurred.to(device), sharp.to(device)
            inputs = blurred.float() / 255
            g = torch_grey_unit(inputs.double())
            variances, scales = torch_laplacian_variance(g), torch_contrast_scale(g)
            greys = grey_255(inputs)
            t = len(inputs)
            maps, flows = [], []
            for k in range(t):
                prev = greys[k - 1:k] if k > 0 else None
                nxt = greys[k + 1:k + 2] if k + 1 < t else None
                if t > 1:
                    m, _, f = motion_input(prev, greys[k:k + 1], nxt, finest_level=finest_level)
                else:
                    m, f = (torch.zeros(1, n, *greys.shape[-2:], device=device) for n in (1, 4))
                maps.append(m)
                if flow:
                    flows.append(f)
            self.sequences.append({**entry, 'inputs': inputs, 'sharp': sharp, 'variances': variances,
                                   'scales': scales, 'motion': torch.cat(maps).float(),
                                   'flow': torch.cat(flows).float() if flow else None,
                                   'blurred_db': float(np.mean([_psnr(blurred[k], sharp[k]) for k in range(t)]))})

    @torch.no_grad()
    def score(self, model) -> Dict[str, Any]:
        """Mean PSNR gain over the blurred input: over all sequences, per kind, the worst sequence, and per
        sequence."""
        was_training = model.training
        model.eval()
        rows = []
        for s in self.sequences:
            t = len(s['inputs'])
            restored = []
            for k in range(t):
                idx = [min(max(k + d - CENTRE_INDEX, 0), t - 1) for d in range(WINDOW_SIZE)]
                frames = s['inputs'][idx][None]
                weights = torch_blur_weights(s['variances'][idx][None]).float()
                scales = s['scales'][idx][None].float()
                flow = None
                if getattr(model, 'directional_motion', False):
                    if s['flow'] is None:
                        raise ValueError('A directional_motion network needs FrameValidation(..., flow=True)')
                    flow = s['flow'][k:k + 1]
                out = _padded_forward(model, frames, s['motion'][k:k + 1], weights, scales, flow)
                out = shrink_residual(out, frames[:, CENTRE_INDEX], self.deadband, self.deadband_flat, self.clamp_radius)
                out = clamp_output(out, frames[:, CENTRE_INDEX], self.clamp_radius, self.clamp_motion,
                                   None if s['flow'] is None else s['flow'][k:k + 1]).clamp(0, 1)
                restored.append(_psnr(torch.round(out[0] * 255).to(torch.uint8), s['sharp'][k]))
            db = float(np.mean(restored))
            rows.append({'id': s['id'], 'kind': s['kind'], 'blurred_db': s['blurred_db'], 'restored_db': db,
                         'gain_db': db - s['blurred_db']})
        if was_training:
            model.train()
        result: Dict[str, Any] = {'gain': float(np.mean([r['gain_db'] for r in rows])),
                                  'worst': float(min(r['gain_db'] for r in rows)), 'sequences': rows}
        for kind in sorted({r['kind'] for r in rows}):
            result[kind] = float(np.mean([r['gain_db'] for r in rows if r['kind'] == kind]))
        return result


def _padded_forward(model, frames, motion, weights, scales, flow=None):
    """The network on a whole frame, edge-replicated to a multiple of 16 and cropped back (deblur()'s padding)."""
    h, w = frames.shape[-2:]
    ph, pw = -h % PADDING_MULTIPLE, -w % PADDING_MULTIPLE
    if ph or pw:
        b, n = frames.shape[:2]
        frames = F.pad(frames.reshape(b * n, 3, h, w), (0, pw, 0, ph), mode='replicate').reshape(b, n, 3, h + ph, w + pw)
        motion = F.pad(motion, (0, pw, 0, ph), mode='replicate')
        flow = None if flow is None else F.pad(flow, (0, pw, 0, ph), mode='replicate')
    return model(frames, motion, weights, scales, *(() if flow is None else (flow,)))[..., :h, :w]


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """PSNR of two uint8 [3, H, W] frames, peak 255 (src/metrics/psnr.ts)."""
    mse = float(((a.double() - b.double()) ** 2).mean())
    return float('inf') if mse == 0 else 10 * np.log10(255 ** 2 / mse)


def card_clamp_radius(path: str, default: int = 3) -> int:
    """The clamp radius deblur() runs a model at unless told: its card's clampRadius (a card, or an .onnx with its
    card beside it), else the runtime's default."""
    if not path.endswith(('.json', '.onnx')):
        return default  # a checkpoint: no card
    return int(read_card(path).get('clampRadius', default))


def card_clamp_motion(path: str):
    """The card's clampMotion as (scale, max_radius), which deblur() follows unless given a radius; None for a
    checkpoint or a card without one."""
    if not path.endswith(('.json', '.onnx')):
        return None
    motion = read_card(path).get('clampMotion')
    return None if motion is None else [motion.get('scale'), motion.get('maxRadius')]


def card_deadband(path: str):
    """The card's residual deadband in 8-bit grey levels and its flatness bound (None: everywhere), which deblur()
    applies unless given others; (0, None) for a checkpoint or a card without one."""
    if not path.endswith(('.json', '.onnx')):
        return 0.0, None
    card = read_card(path)
    flat = card.get('deadbandFlat')
    if flat is not None and 'deadband' not in card:
        raise ValueError(f'{path}: deadbandFlat needs a deadband (the runtime refuses this card)')
    return (check_deadband(card.get('deadband', 0), f'{path}: deadband'),
            None if flat is None else check_deadband_flat(flat, f'{path}: deadbandFlat'))


def check_no_deconvolution(path: str) -> None:
    """Refuses a card whose deconvolve deblur() would run after the network (src/deblur/deconvolve.ts): frame_val
    does not run it, so its scores would not be the runtime's."""
    if path.endswith(('.json', '.onnx')) and read_card(path).get('deconvolve', 0):
        raise ValueError(f'{path}: the card asks for deconvolve (Richardson-Lucy steps after the network), which '
                         f'frame_val does not run; score it through the runtime (node dist/bench/yardstick.js '
                         f'<card> --set val), or score a copy of the card without deconvolve')


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m promotion.frame_val', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='a yardstick set (.yardstick/val) or a folder of its synthesis.json files')
    parser.add_argument('--model', action='append', required=True, help='card, .onnx or checkpoint (repeatable)')
    parser.add_argument('--photos', help='folder of the photos the specs name (when rendering)')
    parser.add_argument('--render', action='store_true', help='render the sequences from their specs')
    parser.add_argument('--finest-level', type=int, default=2)
    parser.add_argument('--clamp-radius', help="the clamp's radius, or a list (0,3,6: each model at each); default: a "
                        "card's clampRadius (as deblur() runs it), else 3")
    parser.add_argument('--clamp-motion', help="SCALE,MAX: the clamp's radius follows each pixel's motion, "
                        "floor(SCALE x px + 1/2) from the clamp radius up to MAX (train.clamp_motion); default: a "
                        "card's clampMotion unless --clamp-radius is given (as deblur() runs it)")
    parser.add_argument('--deadband', type=float, help="8-bit grey levels the residual shrinks by before the clamp "
                        "(deblur()'s deadband); default: a card's deadband, else 0")
    parser.add_argument('--deadband-flat', type=float, help="the deadband only where the input spans at most this many "
                        "grey levels within the clamp radius (deblur()'s deadbandFlat); default: a card's")
    parser.add_argument('--trained-weights', action='store_true',
                        help="score a checkpoint's trained weights, not their moving average (train.ema)")
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    from .evaluate import load_model
    try:
        device = torch.device(args.device)
        radii = [int(r) for r in args.clamp_radius.split(',')] if args.clamp_radius is not None else None
        for path in args.model:
            check_no_deconvolution(path)
        models = {path: load_model(path, args.trained_weights)[0].to(device) for path in args.model}
        given_motion = None if args.clamp_motion is None else parse_clamp_motion(args.clamp_motion)
        # As deblur() runs a model: --clamp-motion if given, else its card's clampMotion unless a radius is given.
        motions = {p: given_motion if given_motion is not None else None if radii else card_clamp_motion(p)
                   for p in args.model}
        runs = [(p, r, None if motions[p] is None else check_clamp_motion(motions[p], r, '--clamp-motion'))
                for p in args.model for r in (radii or [card_clamp_radius(p)])]
        validation = FrameValidation(args.root, device, args.photos, args.finest_level, render=args.render,
                                     flow=any(getattr(m, 'directional_motion', False) for m in models.values())
                                     or any(motion is not None for _, _, motion in runs))
        for path, radius, motion in runs:
            validation.clamp_radius, validation.clamp_motion = radius, motion
            card_band, card_flat = card_deadband(path)
            validation.deadband = (check_deadband(args.deadband, '--deadband') if args.deadband is not None
                                   else card_band)
            validation.deadband_flat = (check_deadband_flat(args.deadband_flat, '--deadband-flat')
                                        if args.deadband_flat is not None else card_flat)
            result = validation.score(models[path])
            kinds = '  '.join(f'{k} {result[k]:+.3f}' for k in sorted({r["kind"] for r in result['sequences']}))
            motion_note = '' if motion is None else f', following the motion {motion[0]:g} x px up to {motion[1]}'
            if validation.deadband > 0:
                motion_note += f', deadband {validation.deadband:g} levels'
                if validation.deadband_flat is not None:
                    motion_note += f' where flat within {validation.deadband_flat:g}'
            print(f'{path} (clamp radius {radius}{motion_note}): mean {result["gain"]:+.3f} dB  {kinds}  '
                  f'worst {result["worst"]:+.3f}', flush=True)
            for r in result['sequences']:
                print(f'  {r["id"]}: blurred {r["blurred_db"]:.3f} dB, gain {r["gain_db"]:+.3f}')
    except (ValueError, OSError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
