"""Training: `python3 -m promotion.train <config.yml>` (Debian's /usr/bin/python3 on CPU, PyTorch 2.x on CUDA).

Adam, cosine learning rate (with `restarts` equal periods), seeded. Every `checkpoint_every` iterations a
checkpoint (model, optimizer, iteration, config) is written atomically to <output>/checkpoints/ and a rerun resumes
from the latest one. Batches are a pure function of (seed, iteration), so a resumed run sees the batches an
uninterrupted one would. Logs: <output>/train.csv (iteration, lr, loss, pixel, perceptual, psnr, seconds; frequency
when the loss's frequency term is on; pose and pose_hands when its pose term is) and <output>/val.csv (iteration,
psnr, ssim, blurred input psnr, windows) every `val_every` iterations.

`train.max_seconds` (default 0: none): a time budget for this run (a lent GPU's minutes). From iterations 10 to 40
the run measures its speed and cuts `iterations` to what fits (the cosine then ends with the budget); past the
budget it checkpoints and stops.

`train.checkpoint_optimizer: false` leaves Adam's state out of checkpoints (a third of their size: what a lent GPU
machine hands back is limited per file); a resume from one starts Adam afresh.

`datasets.train.scenes` (a mapping, possibly empty): instead of sequence folders, windows rendered on the training
device from the photo pack at `roots[0]` (promotion/data/gpu_scenes.py, whose DEFAULTS the mapping overrides).

`frame_val` (a mapping: root, photos, render, every, finest_level, clamp_radius, clamp_motion, deadband,
deadband_flat, at_start): whole-frame validation as the yardstick measures through deblur() (promotion/frame_val.py;
root a folder of sequences, or a list of them, e.g. the yardstick's val and lines sets, scored by the mean of their
gains, each set counting once; deadband and deadband_flat as the card's), at the start (unless at_start is false: a run
from scratch starts as the identity) and every `every` iterations, logged to
<output>/frame_val.csv; the weights that score best are kept in <output>/best.pt (weights only), so a run picks its
own checkpoint by what users would see.

`train.ema` (default 0: off; e.g. 0.999): an exponential moving average of the weights, updated after every step
with the decay min(ema, (1 + n) / (10 + n)) at the run's n-th step (so a short run's average is not its start). The
average is what validation and frame_val score, what best.pt keeps, and what checkpoints give to every reader
(`checkpoint_weights`: export, evaluate, frame_val, soup, init); the trained weights stay in them for resuming.
Checkpoints of one training run differ by about 0.1 dB on the yardstick's validation set (docs/deblur-model.md), and
the average is a steadier model to choose from mid-run; at the end of a cosine schedule it measured level with the
trained weights (+0.513 against +0.526 dB, the ablation baseline).

`train.clamp_radius` (default 0: off) clamps the network's output to the blurred centre frame's local range, as
deblur() does by default (radius 3), before the loss and in validation (promotion/local_range.py).
`train.clamp_motion` ([scale, max_radius], default none) makes that radius follow the motion: each pixel's is
floor(scale x its motion in px + 1/2), from clamp_radius up to max_radius (local_range.motion_radii); the dataset
then computes the flow vectors (it needs datasets.train.motion_finest_level).

`teacher` ({model, weight}; default none): distillation. A frozen network (a checkpoint, or an exported model's card
or .onnx file, loaded as promotion.evaluate loads it) runs on every batch, its output clamped as the student's is,
and the loss's target becomes sharp + weight x (teacher - sharp): weight 1 fits the teacher's function, less keeps
part of the sharp frame as the target. What a smaller network (the CPU's speed target) learns from a larger
trained one: the teacher's restraint on sharp input as much as its restoration. The logged psnr stays against the
sharp frame. `teacher` {frames, weight} takes the teacher's output from a folder of that name beside each training
sequence's blur/ instead (a teacher with no PyTorch twin: a card with deconvolution steps, whose restored frames
training/build-card-targets.mjs writes through the runtime), cropped and flipped with the sharp frame.
"""
import argparse
import csv
import math
import os
import sys
import time
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from torch.utils.data import DataLoader

from . import CENTRE_INDEX
from .archs import build_network, count_parameters
from .config import load_config
from .data import SequenceDataset, crop_at
from .local_range import clamp_output
from .losses import build_loss
from .metrics import psnr, ssim
from .onnx_weights import FUNCTION_OPTIONS, load_export_weights

TRAIN_FIELDS = ['iteration', 'lr', 'loss', 'pixel', 'perceptual', 'psnr', 'seconds']
#: Logged too when the pose term is on: the term, and the share of the batch whose sharp crop holds a hand.
POSE_FIELDS = ['pose', 'pose_hands']
VAL_FIELDS = ['iteration', 'psnr', 'ssim', 'blurred_psnr', 'windows']
#: frame_val.csv: the whole-frame validation's mean gain, per kind and worst sequence (dB), and whether it was the best.
FRAME_VAL_FIELDS = ['iteration', 'gain', 'camera', 'local', 'worst', 'best', 'seconds']


def cosine_lr(iteration: int, cfg: Dict[str, Any]) -> float:
    """Learning rate for 0-based `iteration`: cosine from lr to eta_min over each of `restarts` equal periods."""
    t = cfg['train']
    period = t['iterations'] // t['restarts']
    phase = (iteration % period) / period
    return t['eta_min'] + 0.5 * (t['lr'] - t['eta_min']) * (1 + math.cos(math.pi * phase))


class _Batches:
    """Batch sampler: iteration i draws `batch_size` windows from a generator seeded with (seed, i)."""

    def __init__(self, size: int, batch: int, seed: int, start: int, stop: int) -> None:
        self.size, self.batch, self.seed, self.start, self.stop = size, batch, seed, start, stop

    def __iter__(self):
        for i in range(self.start, self.stop):
            rng = np.random.default_rng([self.seed, i])
            yield [(i, int(j)) for j in rng.integers(0, self.size, self.batch)]

    def __len__(self) -> int:
        return self.stop - self.start


class _EpochDataset(torch.utils.data.Dataset):
    """Keys (iteration, index): the dataset's random crop/flip choices then vary with the iteration, and so does
    the crop size when a curriculum (`crop_schedule`) is given."""

    def __init__(self, ds: SequenceDataset, schedule: Optional[List[List[int]]] = None) -> None:
        self.ds, self.schedule = ds, schedule

    def __len__(self) -> int:
        return len(self.ds)

    def __getitem__(self, key):
        iteration, idx = key
        self.ds.set_epoch(iteration)
        if self.schedule:
            self.ds.set_crop(crop_at(self.schedule, iteration))
        return self.ds[idx]


def tune_malloc() -> bool:
    """glibc hands every allocation above 32 MB back to the kernel and page-faults it in again on the next one:
    with Debian's torch (no MKL) an element-wise op on a [40, 32, 96, 96] tensor took 96-114 ms instead of 1 ms,
    and a training step of promotion-s 1.76 s instead of 0.98 s. Keep freed memory in the process (what
    MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=<large> would do). Returns whether glibc accepted it."""
    try:
        import ctypes
        libc = ctypes.CDLL('libc.so.6')
        m_trim_threshold, m_mmap_max = -1, -4
        return bool(libc.mallopt(m_mmap_max, 0)) and bool(libc.mallopt(m_trim_threshold, 2**31 - 1))
    except (OSError, AttributeError):
        return False


def _device(cfg: Dict[str, Any]) -> torch.device:
    if cfg['device'] == 'cuda' or (cfg['device'] == 'auto' and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise ValueError('device: cuda was asked for but torch.cuda.is_available() is False')
        return torch.device('cuda')
    return torch.device('cpu')


def _to(batch: Dict[str, torch.Tensor], device: torch.device) -> Dict[str, torch.Tensor]:
    return {k: v.to(device) for k, v in batch.items()}


def _forward(model, batch, clamp_radius: int = 0, clamp_motion=None):
    """The network's output, clamped to the centre frame's local range as deblur() does when clamp_radius > 0 (its
    radius following the motion with clamp_motion). The flow vectors go to the network only if it reads them."""
    flow = batch.get('flow')
    out = model(batch['frames'], batch['motion'], batch['blurWeights'], batch['contrastScale'],
                *((flow,) if flow is not None and getattr(model, 'directional_motion', False) else ()))
    return clamp_output(out, batch['frames'][:, CENTRE_INDEX], clamp_radius, clamp_motion, flow)


def _write_rows(path: str, fields: List[str], rows: List[Dict[str, Any]], append: bool) -> None:
    new = not append or not os.path.exists(path)
    with open(path, 'a' if append else 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        if new:
            writer.writeheader()
        writer.writerows(rows)


def _truncate_log(path: str, fields: List[str], last_iteration: int) -> None:
    """On resume: drop rows logged after the checkpoint, which the resumed run will log again."""
    if not os.path.exists(path):
        return
    with open(path, newline='') as f:
        rows = [r for r in csv.DictReader(f) if int(r['iteration']) <= last_iteration]
    _write_rows(path, fields, rows, append=False)


def latest_checkpoint(output: str) -> Optional[str]:
    folder = os.path.join(output, 'checkpoints')
    if not os.path.isdir(folder):
        return None
    found = sorted((int(n[5:-3]), n) for n in os.listdir(folder) if n.startswith('iter_') and n.endswith('.pt'))
    return os.path.join(folder, found[-1][1]) if found else None


def trainable_parameters(model: torch.nn.Module, prefixes: Optional[List[str]]) -> List[torch.nn.Parameter]:
    """The parameters training changes: all, or (`train.trainable`) those whose names start with one of `prefixes`,
    the others frozen (requires_grad off). A prefix that names no parameter is an error."""
    named = list(model.named_parameters())
    if prefixes is None:
        return [p for _, p in named]
    unused = [x for x in prefixes if not any(n.startswith(x) for n, _ in named)]
    if unused:
        raise ValueError(f'train.trainable: {", ".join(map(repr, unused))} names no parameter of the network '
                         f'(its parameters start with {", ".join(sorted({n.split(".")[0] + "." for n, _ in named}))})')
    for n, p in named:
        p.requires_grad_(any(n.startswith(x) for x in prefixes))
    return [p for _, p in named if p.requires_grad]


def load_checkpoint(path: str) -> Dict[str, Any]:
    try:
        return torch.load(path, map_location='cpu', weights_only=False)
    except TypeError:  # torch < 1.13 has no weights_only
        return torch.load(path, map_location='cpu')


def checkpoint_weights(state: Dict[str, Any]) -> Dict[str, torch.Tensor]:
    """The weights a checkpoint gives to use: the moving average (`train.ema`) when it has one, else the trained
    weights."""
    return state['ema'] if state.get('ema') is not None else state['model']


class _Average:
    """The exponential moving average of a model's weights (train.ema)."""

    def __init__(self, model: torch.nn.Module, decay: float, steps: int = 0) -> None:
        import copy
        self.model = copy.deepcopy(model)
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.decay, self.steps = decay, steps

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        self.steps += 1
        d = min(self.decay, (1 + self.steps) / (10 + self.steps))
        for a, p in zip(self.model.state_dict().values(), model.state_dict().values()):
            if a.dtype.is_floating_point:
                a.mul_(d).add_(p.detach(), alpha=1 - d)
            else:
                a.copy_(p)


def _save_checkpoint(output: str, state: Dict[str, Any], keep: int) -> str:
    folder = os.path.join(output, 'checkpoints')
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f'iter_{state["iteration"]:08d}.pt')
    tmp = path + '.tmp'
    torch.save(state, tmp)
    os.replace(tmp, path)
    old = sorted(n for n in os.listdir(folder) if n.startswith('iter_') and n.endswith('.pt'))
    for name in old[:-keep]:
        os.remove(os.path.join(folder, name))
    return path


@torch.no_grad()
def validate(model, dataset: SequenceDataset, device: torch.device, clamp_radius: int = 0,
             clamp_motion=None) -> Dict[str, float]:
    model.eval()
    scores, ssims, blurred = [], [], []
    for i in range(len(dataset)):
        batch = _to({k: v[None] for k, v in dataset[i].items()}, device)
        out = _forward(model, batch, clamp_radius, clamp_motion).clamp(0, 1)
        scores.append(psnr(out, batch['gt']))
        ssims.append(ssim(out, batch['gt']))
        blurred.append(psnr(batch['frames'][:, 2], batch['gt']))
    model.train()
    return {'psnr': float(np.mean(scores)), 'ssim': float(np.mean(ssims)), 'blurred_psnr': float(np.mean(blurred)),
            'windows': len(dataset)}


class _FrameVal:
    """The run's whole-frame validation (config frame_val): scores, logs, and keeps the best weights in best.pt."""

    def __init__(self, cfg: Dict[str, Any], device: torch.device, start: int, quiet: bool) -> None:
        from .frame_val import FrameValidation
        fv = cfg['frame_val']
        self.cfg, self.quiet, self.every = cfg, quiet, int(fv['every'])
        self.log = os.path.join(cfg['output'], 'frame_val.csv')
        self.best_path = os.path.join(cfg['output'], 'best.pt')
        # One validation per root (config.py makes root a list); the run is scored by the mean of their gains.
        self.validations = [(os.path.basename(root), FrameValidation(
            root, device, fv.get('photos'), int(fv.get('finest_level', 2)), int(fv.get('clamp_radius', 3)),
            bool(fv.get('render', False)), flow=bool(cfg['network'].get('directional_motion', False)),
            clamp_motion=fv.get('clamp_motion'), deadband=float(fv.get('deadband', 0)),
            deadband_flat=fv.get('deadband_flat'))) for root in fv['root']]
        self.best = -math.inf
        if start > 0 and os.path.exists(self.best_path):
            self.best = float(load_checkpoint(self.best_path)['frame_val']['gain'])
        _truncate_log(self.log, FRAME_VAL_FIELDS, start)

    def score(self, model) -> Dict[str, Any]:
        """One root's result as FrameValidation.score gives it; several: the mean of their gains (overall and per
        kind, each set counting once), the worst sequence of all, and each set's result under `sets`."""
        results = {name: v.score(model) for name, v in self.validations}
        if len(results) == 1:
            return next(iter(results.values()))
        merged: Dict[str, Any] = {'gain': float(np.mean([r['gain'] for r in results.values()])),
                                  'worst': float(min(r['worst'] for r in results.values())), 'sets': results}
        for kind in ('camera', 'local'):
            of = [r[kind] for r in results.values() if kind in r]
            if of:
                merged[kind] = float(np.mean(of))
        return merged

    def run(self, model, iteration: int, seconds: float) -> None:
        result = self.score(model)
        better = result['gain'] > self.best
        if better:
            self.best = result['gain']
            tmp = self.best_path + '.tmp'
            torch.save({'iteration': iteration, 'model': model.state_dict(), 'config': self.cfg,
                        'network': self.cfg['network'], 'frame_val': result, 'init': self.cfg.get('init'),
                        'torch': torch.__version__}, tmp)
            os.replace(tmp, self.best_path)
        row = {'iteration': iteration, 'best': int(better), 'seconds': round(seconds, 1),
               **{k: round(result[k], 4) for k in ('gain', 'camera', 'local', 'worst') if k in result}}
        _write_rows(self.log, FRAME_VAL_FIELDS, [row], append=True)
        if not self.quiet:
            kinds = ' '.join(f'{k} {result[k]:+.3f}' for k in ('camera', 'local') if k in result)
            kinds += ''.join(f' {name} {r["gain"]:+.3f}' for name, r in result.get('sets', {}).items())
            print(f'[{iteration}] frame val {result["gain"]:+.3f} dB ({kinds}, worst {result["worst"]:+.3f})'
                  + (' best' if better else ''), flush=True)


def train(config_path: str, quiet: bool = False, threads: Optional[int] = None) -> Dict[str, Any]:
    """Trains from a config. `threads` overrides the config's (the result does not depend on it, only the speed)."""
    cfg = load_config(config_path)
    t = cfg['train']
    tune_malloc()
    torch.set_num_threads(int(cfg['threads']) if threads is None else threads)
    torch.manual_seed(cfg['seed'])
    device = _device(cfg)
    model = build_network(cfg['network']).to(device)
    criterion = build_loss(cfg['loss']).to(device)
    train_fields = (TRAIN_FIELDS + (['frequency'] if criterion.frequency_weight > 0 else [])
                    + (POSE_FIELDS if criterion.pose is not None else []))
    trained = trainable_parameters(model, t['trainable'])
    optimizer = torch.optim.Adam(trained, lr=t['lr'], betas=tuple(t['betas']))
    os.makedirs(cfg['output'], exist_ok=True)
    start = 0
    resumed_average = None
    resume = latest_checkpoint(cfg['output'])
    if resume:
        state = load_checkpoint(resume)
        model.load_state_dict(state['model'])
        resumed_average = state.get('ema')
        if 'optimizer' in state:
            optimizer.load_state_dict(state['optimizer'])
        start = state['iteration']
        _truncate_log(os.path.join(cfg['output'], 'train.csv'), train_fields, start)
        _truncate_log(os.path.join(cfg['output'], 'val.csv'), VAL_FIELDS, start)
    elif cfg.get('init'):
        # Fine-tuning: start from another run's weights (not its optimizer or iteration count), or from an exported
        # model's (its card or .onnx file: onnx_weights.py).
        if cfg['init'].endswith(('.json', '.onnx')):
            grown = load_export_weights(model, cfg['init'], grow=True, changed=FUNCTION_OPTIONS)
            if grown and not quiet:
                print(f'init {cfg["init"]}: {len(grown)} parameters of additions it lacks start at their initial '
                      f'values ({", ".join(sorted({k.split(".")[0] for k in grown}))})', flush=True)
        else:
            init = load_checkpoint(cfg['init'])
            if dict(init['network']) != dict(cfg['network']):
                raise ValueError(f'init checkpoint {cfg["init"]} holds network {init["network"]}, not {cfg["network"]}')
            model.load_state_dict(checkpoint_weights(init))
    teacher = None
    if cfg.get('teacher') is not None and 'model' in cfg['teacher']:
        from .evaluate import load_model
        teacher, _ = load_model(cfg['teacher']['model'])
        teacher = teacher.to(device).eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
    if device.type == 'cuda':
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    ds_cfg = dict(cfg['datasets']['train'])
    schedule = ds_cfg.pop('crop_schedule', None)
    if schedule:
        ds_cfg['crop'] = crop_at(schedule, start)
    scenes = ds_cfg.pop('scenes', None)
    if scenes is not None:
        if cfg.get('teacher') is not None and 'frames' in cfg['teacher']:
            raise ValueError('teacher.frames needs stored training sequences; datasets.train.scenes renders windows '
                             'that no teacher has restored')
        # Windows rendered on the device from a photo pack (promotion/data/gpu_scenes.py), batch by batch.
        from .data.gpu_scenes import SceneBatches
        loader = SceneBatches(ds_cfg['roots'][0], t['batch_size'], cfg['seed'], start, t['iterations'], device,
                              scenes or {})
        train_windows = 'rendered'
    else:
        if t['clamp_motion'] is not None:
            ds_cfg['flow_input'] = True
        if cfg.get('teacher') is not None and 'frames' in cfg['teacher']:
            ds_cfg['teacher_frames'] = cfg['teacher']['frames']
        train_set = SequenceDataset(ds_cfg.pop('roots'), seed=cfg['seed'], **ds_cfg)
        train_windows = len(train_set)
        loader = DataLoader(_EpochDataset(train_set, schedule),
                            batch_sampler=_Batches(len(train_set), t['batch_size'], cfg['seed'], start,
                                                   t['iterations']),
                            num_workers=t['num_workers'])
    val_set = None
    if 'val' in cfg['datasets']:
        v_cfg = dict(cfg['datasets']['val'])
        if t['clamp_motion'] is not None:
            v_cfg['flow_input'] = True
        val_set = SequenceDataset(v_cfg.pop('roots'), seed=cfg['seed'], **{'augment': False, 'crop': None, **v_cfg})
    if not quiet:
        print(f'{cfg["name"]}: {cfg["network"]["type"]} {count_parameters(model) / 1e6:.3f}M params on {device}, '
              f'{train_windows} training windows, iterations {start}..{t["iterations"]}'
              + (f' (resumed from {resume})' if resume else ''), flush=True)
    average = _Average(model, float(t['ema']), start) if t['ema'] else None
    if average is not None and resumed_average is not None:
        average.model.load_state_dict(resumed_average)
    scored = average.model if average is not None else model  # what validation scores and best.pt keeps
    frame_val = _FrameVal(cfg, device, start, quiet) if cfg.get('frame_val') else None
    model.train()
    pending: List[Dict[str, Any]] = []
    started = time.time()
    if frame_val is not None and start == 0 and cfg['frame_val']['at_start']:
        frame_val.run(scored, 0, 0.0)
    budget, calibrated = float(t['max_seconds']), started
    iteration = start
    last_val: Dict[str, float] = {}
    for batch in loader:
        lr = cosine_lr(iteration, cfg)
        for group in optimizer.param_groups:
            group['lr'] = lr
        batch = _to(batch, device)
        out = _forward(model, batch, t['clamp_radius'], t['clamp_motion'])
        target = batch['gt']
        if teacher is not None:
            with torch.no_grad():
                taught = _forward(teacher, batch, t['clamp_radius'], t['clamp_motion']).clamp(0, 1)
            target = target + cfg['teacher']['weight'] * (taught - target)
        elif 'teacher' in batch:  # teacher frames, stored beside the sequences
            target = target + cfg['teacher']['weight'] * (batch['teacher'] - target)
        loss, parts = criterion(out, target, batch['motion'], batch.get('handBox'))
        optimizer.zero_grad()
        loss.backward()
        if t['grad_clip'] > 0:
            torch.nn.utils.clip_grad_norm_(trained, t['grad_clip'])
        optimizer.step()
        if average is not None:
            average.update(model)
        iteration += 1
        if budget:
            if iteration == start + 10:
                calibrated = time.time()
            elif iteration == start + 40:
                # Fit the run to its time budget: the cosine schedule then ends where the budget does.
                rate = 30 / (time.time() - calibrated)
                fits = iteration + int(rate * (budget - (time.time() - started)) * 0.97)
                fits -= fits % t['restarts']
                if fits < t['iterations']:
                    t['iterations'] = max(iteration, fits)
                    if not quiet:
                        print(f'[{iteration}] {rate:.2f} it/s: iterations cut to {t["iterations"]} to end within '
                              f'train.max_seconds {budget}', flush=True)
            if time.time() - started > budget and iteration < t['iterations']:
                t['iterations'] = iteration  # over budget anyway: the last checkpoint is written now
        if not math.isfinite(loss.item()):
            raise ValueError(f'Loss became {loss.item()} at iteration {iteration}; lower train.lr')
        if iteration % t['log_every'] == 0 or iteration == t['iterations']:
            pending.append({'iteration': iteration, 'lr': lr, 'loss': loss.item(), 'pixel': parts['pixel'],
                            'perceptual': parts['perceptual'], 'psnr': psnr(out.detach(), batch['gt']),
                            'seconds': round(time.time() - started, 3),
                            **{k: parts[k] for k in ['frequency', *POSE_FIELDS] if k in parts}})
        if val_set is not None and (iteration % t['val_every'] == 0 or iteration == t['iterations']):
            last_val = validate(scored, val_set, device, t['clamp_radius'], t['clamp_motion'])
            _write_rows(os.path.join(cfg['output'], 'val.csv'), VAL_FIELDS, [{'iteration': iteration, **last_val}],
                        append=True)
            if not quiet:
                print(f'[{iteration}] val psnr {last_val["psnr"]:.3f} dB ssim {last_val["ssim"]:.4f} '
                      f'(blurred {last_val["blurred_psnr"]:.3f} dB)', flush=True)
        if frame_val is not None and (iteration % frame_val.every == 0 or iteration >= t['iterations']):
            frame_val.run(scored, iteration, time.time() - started)
        if iteration % t['checkpoint_every'] == 0 or iteration == t['iterations']:
            _write_rows(os.path.join(cfg['output'], 'train.csv'), train_fields, pending, append=True)
            if pending and not quiet:
                p = pending[-1]
                print(f'[{iteration}] loss {p["loss"]:.5f} psnr {p["psnr"]:.3f} lr {lr:.2e}', flush=True)
            pending = []
            _save_checkpoint(cfg['output'], {
                'iteration': iteration, 'model': model.state_dict(),
                **({'ema': average.model.state_dict()} if average is not None else {}),
                **({'optimizer': optimizer.state_dict()} if t['checkpoint_optimizer'] else {}),
                'config': cfg, 'network': cfg['network'], 'validation': last_val, 'init': cfg.get('init'),
                'torch': torch.__version__}, t['keep_checkpoints'])
        if iteration >= t['iterations']:
            break
    return {'iteration': iteration, 'output': cfg['output'], 'validation': last_val}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m promotion.train', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='YAML config (training/configs/*.yml)')
    parser.add_argument('--threads', type=int, default=None,
                        help="intra-op threads, in place of the config's (e.g. 1 each for two runs side by side on 2 cores)")
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        print(f'error: --threads must be at least 1 but is {args.threads}', file=sys.stderr)
        return 2
    try:
        result = train(args.config, threads=args.threads)
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    print(f'done: iteration {result["iteration"]}, output {result["output"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
