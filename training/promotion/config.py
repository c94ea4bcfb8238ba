"""YAML training configs: loading, defaults and validation (ValueError naming the key, what was expected and what
came). Relative paths are resolved against the config file's folder."""
import copy
import os
from typing import Any, Dict

import yaml

from .local_range import check_clamp_motion, check_deadband, check_deadband_flat

DEFAULTS: Dict[str, Any] = {
    'seed': 0,
    'threads': 2,
    'device': 'auto',
    'loss': {},
    'train': {
        'batch_size': 8, 'iterations': 1000, 'lr': 2e-4, 'betas': [0.9, 0.99], 'eta_min': 1e-7,
        'restarts': 1, 'checkpoint_every': 500, 'keep_checkpoints': 3, 'val_every': 500, 'log_every': 10,
        'num_workers': 0, 'grad_clip': 0.0, 'clamp_radius': 0, 'clamp_motion': None, 'max_seconds': 0,
        'checkpoint_optimizer': True, 'ema': 0.0, 'trainable': None,
    },
}


def _merge(base: Dict[str, Any], over: Dict[str, Any]) -> Dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _positive_int(section: str, key: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f'Expected a positive integer for {section}.{key} but received {value!r}')


def load_config(path: str) -> Dict[str, Any]:
    if not os.path.isfile(path):
        raise ValueError(f'Config file {path!r} does not exist')
    with open(path) as f:
        raw = yaml.safe_load(f)
    if not isinstance(raw, dict):
        raise ValueError(f'{path}: expected a mapping at the top level')
    cfg = _merge(DEFAULTS, raw)
    base = os.path.dirname(os.path.abspath(path))
    for key in ('name', 'network', 'datasets', 'output'):
        if key not in cfg:
            raise ValueError(f'{path}: missing required key {key!r}')
    cfg['output'] = os.path.normpath(os.path.join(base, cfg['output']))
    if cfg.get('init') is not None:
        cfg['init'] = os.path.normpath(os.path.join(base, cfg['init']))
        if not os.path.isfile(cfg['init']):
            raise ValueError(f'{path}: init checkpoint {cfg["init"]!r} does not exist')
    teacher = cfg.get('teacher')
    if teacher is not None:
        # Distillation (train.py): the target moves from the sharp frame towards a frozen model's output, run on each
        # batch (model) or stored beside each training sequence (frames: a model with no PyTorch twin, the card's
        # deconvolution steps; training/build-card-targets.mjs writes them).
        weight = teacher.get('weight') if isinstance(teacher, dict) else None
        source = [k for k in ('model', 'frames') if isinstance(teacher, dict) and k in teacher]
        ok = (isinstance(teacher, dict) and set(teacher) <= {'model', 'frames', 'weight'} and len(source) == 1
              and isinstance(teacher[source[0]], str) and teacher[source[0]] != ''
              and isinstance(weight, (int, float)) and not isinstance(weight, bool) and 0 < weight <= 1)
        if not ok:
            raise ValueError(f'{path}: expected teacher as a mapping with either model (a checkpoint, or an exported '
                             f'model\'s card or .onnx file) or frames (the folder beside each training sequence\'s '
                             f'blur/ that holds a teacher\'s restored frames) and weight (in (0, 1]: the share of the '
                             f'target the teacher gives) but received {teacher!r}')
        if 'model' in teacher:
            teacher['model'] = os.path.normpath(os.path.join(base, teacher['model']))
            if not os.path.isfile(teacher['model']):
                raise ValueError(f'{path}: teacher.model {teacher["model"]!r} does not exist')
        elif teacher['frames'] != os.path.basename(teacher['frames']) or teacher['frames'] in ('.', '..', 'blur', 'sharp', 'motion', 'hands'):
            raise ValueError(f'{path}: teacher.frames {teacher["frames"]!r} must name a folder of its own beside each '
                             f'sequence\'s blur/ (a plain name, not blur, sharp, motion or hands)')
    datasets = cfg['datasets']
    if not isinstance(datasets, dict) or 'train' not in datasets:
        raise ValueError(f'{path}: datasets needs a "train" entry')
    for name, ds in datasets.items():
        if not isinstance(ds, dict) or not isinstance(ds.get('roots'), list) or not ds['roots']:
            raise ValueError(f'{path}: datasets.{name}.roots must be a non-empty list of folders')
        ds['roots'] = [os.path.normpath(os.path.join(base, r)) for r in ds['roots']]
    schedule = datasets['train'].get('crop_schedule')
    if schedule is not None:
        ok = (isinstance(schedule, list) and schedule and all(
            isinstance(e, list) and len(e) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in e)
            and e[1] >= 32 and e[1] % 16 == 0 for e in schedule) and schedule[0][0] == 0
            and all(a[0] < b[0] for a, b in zip(schedule, schedule[1:])))
        if not ok:
            raise ValueError(f'{path}: expected datasets.train.crop_schedule as [[0, crop], [iteration, crop], ...] '
                             f'(iterations ascending from 0, crops multiples of 16, at least 32) but received '
                             f'{schedule!r}')
    t = cfg['train']
    for key in ('batch_size', 'iterations', 'checkpoint_every', 'keep_checkpoints', 'val_every', 'log_every',
                'restarts'):
        _positive_int('train', key, t[key])
    if t['iterations'] % t['restarts']:
        raise ValueError(f'train.iterations {t["iterations"]} must be a multiple of train.restarts {t["restarts"]}')
    r = t['clamp_radius']
    if not isinstance(r, int) or isinstance(r, bool) or r < 0:
        raise ValueError(f'Expected an integer >= 0 for train.clamp_radius (the runtime clamp: 3 as deblur() does, 0 '
                         f'off) but received {r!r}')
    t['clamp_motion'] = check_clamp_motion(t['clamp_motion'], r, 'train.clamp_motion')
    for split in ('train', 'val'):
        if t['clamp_motion'] is not None and split in datasets and datasets[split].get('motion_finest_level') is None:
            raise ValueError(f'{path}: train.clamp_motion needs datasets.{split}.motion_finest_level (the flow the '
                             f'runtime computes, as the clamp will use it)')
    scenes = datasets['train'].get('scenes')
    if scenes is not None and not isinstance(scenes, dict):
        raise ValueError(f'{path}: expected datasets.train.scenes as a mapping of options (or {{}} for the '
                         f'defaults) but received {scenes!r}')
    for key in ('lr', 'eta_min', 'max_seconds'):
        if not isinstance(t[key], (int, float)) or t[key] < 0:
            raise ValueError(f'Expected a number >= 0 for train.{key} but received {t[key]!r}')
    if isinstance(t['ema'], bool) or not isinstance(t['ema'], (int, float)) or not 0 <= t['ema'] < 1:
        raise ValueError(f'Expected train.ema as 0 (off) or a decay in (0, 1) such as 0.999 but received {t["ema"]!r}')
    trainable = t['trainable']
    if trainable is not None and (not isinstance(trainable, list) or not trainable
                                  or any(not isinstance(x, str) or not x for x in trainable)):
        raise ValueError(f'Expected train.trainable as a list of parameter-name prefixes (e.g. [prior_encoder.]; '
                         f'the rest stays frozen) but received {trainable!r}')
    fv = cfg.get('frame_val')
    if fv is not None:
        # Whole-frame validation as the yardstick measures it (promotion/frame_val.py), and the best checkpoint by it.
        # root: a folder of sequences, or a list of them (several validation sets: a run is scored by the mean of
        # their mean gains, each set counting once, as the campaign chooses on val and lines).
        known = {'root', 'photos', 'render', 'every', 'finest_level', 'clamp_radius', 'clamp_motion', 'at_start',
                 'deadband', 'deadband_flat'}
        root = fv.get('root') if isinstance(fv, dict) else None
        roots_ok = isinstance(root, str) or (isinstance(root, list) and root and all(isinstance(r, str) for r in root))
        if not isinstance(fv, dict) or not roots_ok or set(fv) - known:
            raise ValueError(f'{path}: expected frame_val as a mapping with root (a folder of sequences, or a list of '
                             f'them) and optionally {sorted(known - {"root"})} but received {fv!r}')
        fv['root'] = [os.path.normpath(os.path.join(base, r)) for r in ([root] if isinstance(root, str) else root)]
        if fv.get('photos') is not None:
            fv['photos'] = os.path.normpath(os.path.join(base, fv['photos']))
        # The card's residual deadband, as deblur() runs it (promotion/local_range.py, shrink_residual).
        fv['deadband'] = check_deadband(fv.get('deadband', 0), 'frame_val.deadband')
        if fv.get('deadband_flat') is not None:
            fv['deadband_flat'] = check_deadband_flat(fv['deadband_flat'], 'frame_val.deadband_flat')
        fv['clamp_motion'] = check_clamp_motion(fv.get('clamp_motion'), int(fv.get('clamp_radius', 3)),
                                                'frame_val.clamp_motion')
        fv.setdefault('every', t['val_every'])
        _positive_int('frame_val', 'every', fv['every'])
        if not isinstance(fv.setdefault('at_start', True), bool):
            raise ValueError(f'Expected true or false for frame_val.at_start but received {fv["at_start"]!r}')
    if cfg['device'] not in ('auto', 'cpu', 'cuda'):
        raise ValueError(f'Expected device auto, cpu or cuda but received {cfg["device"]!r}')
    return cfg
