"""ONNX export: `python3 -m promotion.export` writes <out-dir>/<name>.onnx (dynamic batch, height and width; opset
19, or 16 with --deform-conv grid) and the model card <out-dir>/<name>.json (models/README.md describes both).

    python3 -m promotion.export --checkpoint runs/x/checkpoints/iter_00010000.pt --name promotion-s
    python3 -m promotion.export --preset promotion-s --random-init --seed 0 --name tiny --out-dir /tmp/m \
        --set num_feat=16 --parity-dir /tmp/m/parity --parity-sizes 32x32,48x64
    python3 -m promotion.export --from-card ../models/promotion-c.json --set prior_stride=2 --name promotion-c \
        --out-dir /tmp/m --motion-finest-level 2

--from-card re-exports an exported model's weights into the network its card names, changed by --set options that
keep every parameter's shape (e.g. prior_stride=2: the same weights with the prior branch at stride 2); the card
keeps the source's training record and notes the change. The function changes: measure it before shipping.

--contract 2 exports the network in two parts (contract version 2): <name>.features.onnx, the per-frame feature
extraction (`frame` -> `featL1`, `featL2`, `featL3`), and <name>.onnx, the rest of the network from a window's
stacked features (`featL1..3`, `frames`, `motion`, `blurWeights`, `contrastScale` -> `restored`), so the runtime
computes each frame's features once and reuses them in the 5 windows that hold the frame. Before writing the card
it checks that the two parts composed give the full model's output (see check_two_parts). Version 1 (one graph)
is the default.

--contract 4 exports one graph that takes, in place of `contrastScale`, the prior maps averaged over 2x2 pixels
(`priors` [B, 15, H/2, W/2], promotion/archs/priors.py pooled_prior_maps), which the runtime computes
(src/deblur/priors.ts): for promotion-c networks with the prior branch at stride 2, whose graph otherwise spends
about a tenth of its CPU time on the maps' full-resolution arithmetic (docs/deblur-model.md, session 28). The same
function; the parity test checks the runtime's maps and the output.

--deform-conv native (the default) exports each deformable convolution as one ONNX `DeformConv` node, which moves
the graph to opset 19 (promotion/onnx_opset.py) and needs an ONNX Runtime with that kernel (1.30, which this
project pins, has it on the CPU and CUDA); `grid`
keeps the opset-16 grid_sample decomposition that any ONNX Runtime since 1.13 runs, about 1.7x slower on the CPU.

--parity-dir also writes, per size, seeded inputs and PyTorch's output as raw little-endian float32 files and a
parity.json listing them, for the TypeScript parity test (test/training/export-parity.test.ts); with --contract 4
also the pooled prior maps PyTorch computes from those inputs (`priors`), which the runtime must compute alike; with --contract 2
also the window's features (`featL1..3`, [1, 5, C, h, w], PyTorch's) for testing each part.
"""
import argparse
import inspect
import json
import os
import sys
import warnings
from typing import Any, Dict, List, Optional, Tuple

import torch
from torch import nn

from . import CENTRE_INDEX, CONTRACT_VERSIONS, DEFAULT_CONTRACT_VERSION, MIN_SIZE, PADDING_MULTIPLE, WINDOW_SIZE
from .archs import PRESETS, build_network, count_parameters
from .archs.dcn import DEFORM_CONV_DOMAIN, DCNv2Pack
from .archs.priors import pooled_prior_maps
from .archs.unet_arch import LayerNorm2d
from .onnx_opset import TARGET_OPSET, to_opset19
from .local_range import check_clamp_motion, check_deadband, check_deadband_flat, parse_clamp_motion
from .onnx_weights import sha256

OPSET = 16
#: How a deformable convolution is written: one DeformConv node (opset 19) or grid_sample and arithmetic (opset 16).
DEFORM_CONV_MODES = ('native', 'grid')
INPUT_NAMES = ['frames', 'motion', 'blurWeights', 'contrastScale']
#: Contract version 3's further input (a network with directional_motion): the centre frame's flow vectors (px).
FLOW_INPUT = 'flow'
#: Contract version 4's input in place of contrastScale: the prior maps averaged over 2x2 pixels, which the runtime
#: computes (priors.pooled_prior_maps; src/deblur/priors.ts).
PRIORS_INPUT = 'priors'
PRIORS_INPUT_NAMES = ['frames', 'motion', 'blurWeights', PRIORS_INPUT]
OUTPUT_NAMES = ['restored']
#: Contract version 2: the feature graph's input and outputs (the restore graph takes the outputs, stacked per
#: window, before INPUT_NAMES), and each level's size as a fraction of the frame's.
FEATURE_INPUT = 'frame'
FEATURE_NAMES = ['featL1', 'featL2', 'featL3']
FEATURE_SCALES = [4, 8, 16]
#: The largest difference check_two_parts accepts between the composed parts and the full model.
TWO_PART_TOLERANCE = 1e-5


class ExportCheckError(Exception):
    """An exported graph does not compute what the PyTorch model does (a bug, not a usage error: exit 1)."""


class FeatureExtractor(nn.Module):
    """Contract version 2's first part: Promotion.extract_features as a module (what torch.onnx.export traces)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, frame: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.model.extract_features(frame)


class PooledPriorRestorer(nn.Module):
    """Contract version 4's graph: the network from the window and its prior maps averaged over 2x2 pixels
    (forward_pooled_priors), the maps computed by the runtime."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, frames: torch.Tensor, motion: torch.Tensor, blur_weights: torch.Tensor,
                priors: torch.Tensor) -> torch.Tensor:
        return self.model.forward_pooled_priors(frames, motion, blur_weights, priors)


class WindowRestorer(nn.Module):
    """Contract version 2's second part: Promotion.restore as a module."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, feat_l1: torch.Tensor, feat_l2: torch.Tensor, feat_l3: torch.Tensor, frames: torch.Tensor,
                motion: torch.Tensor, blur_weights: torch.Tensor, contrast_scale: torch.Tensor) -> torch.Tensor:
        return self.model.restore(feat_l1, feat_l2, feat_l3, frames, motion, blur_weights, contrast_scale)


def _parse_value(text: str) -> Any:
    """A --set value: true/false, an integer, or a name (block=inverted); the network checks what it gets."""
    lowered = text.lower()
    if lowered in ('true', 'false'):
        return lowered == 'true'
    try:
        return int(text)
    except ValueError:
        if text.isidentifier():
            return text
        raise ValueError(f'Expected an integer, true/false or a name in --set but received {text!r}') from None


def example_inputs(b: int, h: int, w: int, seed: int) -> Dict[str, torch.Tensor]:
    """Seeded inputs that follow the contract (blurWeights sum to 5, contrastScale positive)."""
    g = torch.Generator().manual_seed(seed)
    bw = torch.rand(b, WINDOW_SIZE, generator=g) + 0.5
    return {
        'frames': torch.rand(b, WINDOW_SIZE, 3, h, w, generator=g),
        'motion': torch.rand(b, 1, h, w, generator=g),
        'blurWeights': bw * WINDOW_SIZE / bw.sum(dim=1, keepdim=True),
        'contrastScale': torch.rand(b, WINDOW_SIZE, generator=g) * 0.2 + 0.01,
        FLOW_INPUT: torch.randn(b, 4, h, w, generator=g) * 8,
    }


def input_names(model: nn.Module) -> List[str]:
    """The (restore) graph's contract inputs for `model`, in order: contract version 3's flow after version 1's."""
    return INPUT_NAMES + ([FLOW_INPUT] if getattr(model, 'directional_motion', False) else [])


def contract_version(model: nn.Module, asked: int) -> int:
    """The contract version `model` is exported with: 3 for a directional_motion network, else `asked` (4 only for a
    network that can take its prior maps from the runtime: the prior branch at stride 2, all three groups)."""
    if getattr(model, 'directional_motion', False):
        if asked in (2, 4):
            raise ValueError(f'a directional_motion network is exported as one graph with its flow input (contract '
                             f'version 3), not with contract version {asked}')
        return 3
    if asked == 4:
        encoder = getattr(model, 'prior_encoder', None)
        groups = all(getattr(model, k, False) for k in ('use_contrast', 'use_structure', 'use_motion'))
        if encoder is None or getattr(encoder, 'stride', 1) != 2 or not groups or not hasattr(model, 'forward_pooled_priors'):
            raise ValueError('contract version 4 (the prior maps computed by the runtime, at half resolution) is for a '
                             'promotion-c network with the prior branch at stride 2 (prior_stride=2) and all three prior '
                             'groups; use --contract 1')
    if asked == 3:
        raise ValueError('contract version 3 is for networks with directional_motion (its flow input); use 1 or 2')
    return asked


WINDOW_AXES = {'frames': {0: 'batch', 3: 'height', 4: 'width'}, 'motion': {0: 'batch', 2: 'height', 3: 'width'},
               'blurWeights': {0: 'batch'}, 'contrastScale': {0: 'batch'},
               PRIORS_INPUT: {0: 'batch', 2: 'half_height', 3: 'half_width'},
               FLOW_INPUT: {0: 'batch', 2: 'height', 3: 'width'},
               'restored': {0: 'batch', 2: 'height', 3: 'width'}}


def window_features(model: nn.Module, frames: torch.Tensor) -> List[torch.Tensor]:
    """The features of a batch of windows [B, T, 3, H, W], frame by frame, stacked per window: [B, T, C, h, w]
    per level (what the runtime feeds the restore graph)."""
    b, t, c, h, w = frames.shape
    levels = model.extract_features(frames.reshape(b * t, c, h, w))
    return [f.reshape(b, t, *f.shape[1:]) for f in levels]


def _export(module: nn.Module, args: Tuple[torch.Tensor, ...], path: str, input_names: List[str],
            output_names: List[str], axes: Dict[str, Dict[int, str]], deform_conv: str = 'native') -> int:
    """Exports `module` to `path`; returns the file's opset (19 when it holds a native DeformConv node)."""
    if deform_conv not in DEFORM_CONV_MODES:
        raise ValueError(f'Expected --deform-conv {" or ".join(DEFORM_CONV_MODES)} but received {deform_conv!r}')
    packs = [m for m in module.modules() if isinstance(m, DCNv2Pack)]
    # PyTorch >= 2.9 defaults to the dynamo exporter; the TorchScript one is what this export is verified with.
    extra = {'dynamo': False} if 'dynamo' in inspect.signature(torch.onnx.export).parameters else {}
    # The tracer warns about the input checks in dcn.py and priors.py: they compare channel counts, which are
    # constants of the graph; height and width stay dynamic (the parity test runs two sizes). The exporter's
    # constant-folding notes are about strided slices it leaves unfolded. Both are silenced as noise.
    native = deform_conv == 'native' and bool(packs)
    # Constant folding would replace the reshaped LayerNorm2d weights of promotion-c by new, renamed constants, and an
    # export must keep every parameter under its state-dict name (onnx_weights.py trains from exports). ONNX Runtime
    # folds constants itself when it loads the graph, so the running cost is the same.
    fold = not any(isinstance(m, LayerNorm2d) for m in module.modules())
    try:
        for pack in packs:
            pack.onnx_deform_conv = native
        with torch.no_grad(), warnings.catch_warnings():
            warnings.filterwarnings('ignore', category=torch.jit.TracerWarning)
            warnings.filterwarnings('ignore', message='(Constant folding|The shape inference of prim::Constant)')
            warnings.filterwarnings('ignore', message='The shape inference of promotion::DeformConv')
            torch.onnx.export(module, args, path, opset_version=OPSET, input_names=input_names,
                              output_names=output_names, dynamic_axes=axes, do_constant_folding=fold,
                              **({'custom_opsets': {DEFORM_CONV_DOMAIN: 1}} if native else {}), **extra)
    finally:
        for pack in packs:
            pack.onnx_deform_conv = False
    import onnx  # imported here so that training never needs it
    onnx.checker.check_model(onnx.load(path))  # before the move: onnx 1.12's checker stops at opset 17
    if native:
        to_opset19(path)
        return TARGET_OPSET
    return OPSET


def export_onnx(model: torch.nn.Module, path: str, deform_conv: str = 'native', contract: int = 1) -> int:
    """Contract version 1 (or 3): the whole network as one graph; 4: the network after its prior maps. Returns its
    opset."""
    model.eval()
    x = example_inputs(1, 64, 64, 0)
    if contract == 4:
        x[PRIORS_INPUT] = pooled_prior_maps(x['frames'], x['motion'], x['contrastScale'])
        return _export(PooledPriorRestorer(model), tuple(x[n] for n in PRIORS_INPUT_NAMES), path, PRIORS_INPUT_NAMES,
                       OUTPUT_NAMES, {k: v for k, v in WINDOW_AXES.items() if k in PRIORS_INPUT_NAMES + OUTPUT_NAMES})
    names = input_names(model)
    return _export(model, tuple(x[n] for n in names), path, names, OUTPUT_NAMES,
                   {k: v for k, v in WINDOW_AXES.items() if k in names + OUTPUT_NAMES}, deform_conv)


def export_two_parts(model: torch.nn.Module, features_path: str, path: str, deform_conv: str = 'native') -> int:
    """Contract version 2: the per-frame feature extraction as `features_path` and the rest as `path`. Returns
    the opset of `path` (the feature graph has no deformable convolution and stays at opset 16)."""
    model.eval()
    x = example_inputs(1, 64, 64, 0)
    frame = x['frames'][:, CENTRE_INDEX]
    _export(FeatureExtractor(model), (frame,), features_path, [FEATURE_INPUT], FEATURE_NAMES,
            {FEATURE_INPUT: {0: 'batch', 2: 'height', 3: 'width'}, **_level_axes(2)})
    with torch.no_grad():
        feats = window_features(model, x['frames'])
    return _export(WindowRestorer(model), (*feats, *(x[n] for n in INPUT_NAMES)), path,
                   FEATURE_NAMES + INPUT_NAMES, OUTPUT_NAMES, {**WINDOW_AXES, **_level_axes(3)}, deform_conv)


def _level_axes(first: int) -> Dict[str, Dict[int, str]]:
    """Dynamic axes of the feature levels, whose height and width are at dimensions `first` and `first + 1`."""
    return {n: {0: 'batch', first: f'height/{s}', first + 1: f'width/{s}'}
            for n, s in zip(FEATURE_NAMES, FEATURE_SCALES)}


def check_two_parts(model: nn.Module, features_path: str, path: str,
                    sizes: Tuple[Tuple[int, int], ...] = ((32, 32), (48, 64)), seed: int = 1) -> Tuple[float, str]:
    """The largest difference between the full model (PyTorch) and its two exported parts composed: the feature
    graph run on the 5 frames of a window, its outputs stacked per window and fed to the restore graph, at sizes
    other than the one traced. The parts are run with onnxruntime when Python has it; otherwise (Debian's python3
    does not) with TorchScript traces of the same modules torch.onnx.export traced, which catches sizes frozen
    into the trace but not exporter bugs (the TypeScript parity test, test/training/export-parity.test.ts, runs the
    ONNX files themselves in onnxruntime-node). Returns (difference, what ran the parts)."""
    try:
        import onnxruntime  # type: ignore[import-not-found]
    except ImportError:
        onnxruntime = None
    worst = 0.0
    runner = 'onnxruntime' if onnxruntime is not None else 'torch.jit.trace'
    with torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings('ignore', category=torch.jit.TracerWarning)
        if onnxruntime is not None:
            features = onnxruntime.InferenceSession(features_path, providers=['CPUExecutionProvider'])
            restore = onnxruntime.InferenceSession(path, providers=['CPUExecutionProvider'])
            wanted = {i.name for i in restore.get_inputs()}
        else:
            x0 = example_inputs(1, 64, 64, 0)
            features = torch.jit.trace(FeatureExtractor(model), (x0['frames'][:, CENTRE_INDEX],), check_trace=False)
            restore = torch.jit.trace(WindowRestorer(model), (*window_features(model, x0['frames']),
                                                              *(x0[n] for n in INPUT_NAMES)), check_trace=False)
        for k, (h, w) in enumerate(sizes):
            x = example_inputs(1, h, w, seed + k)
            full = model(*(x[n] for n in INPUT_NAMES))
            frames = x['frames'].reshape(WINDOW_SIZE, 3, h, w)
            if onnxruntime is not None:
                levels = features.run(FEATURE_NAMES, {FEATURE_INPUT: frames.numpy()})
                feeds = {n: level.reshape(1, WINDOW_SIZE, *level.shape[1:]) for n, level in zip(FEATURE_NAMES, levels)}
                feeds.update({n: x[n].numpy() for n in INPUT_NAMES})
                out = torch.from_numpy(restore.run(OUTPUT_NAMES, {n: v for n, v in feeds.items() if n in wanted})[0])
            else:
                levels = features(frames)
                out = restore(*(f.reshape(1, WINDOW_SIZE, *f.shape[1:]) for f in levels), *(x[n] for n in INPUT_NAMES))
            worst = max(worst, (out - full).abs().max().item())
    return worst, runner


def features_record(features_path: str, num_feat: int) -> Dict[str, Any]:
    """The card's `features` entry (contract version 2): the feature graph's file, checksum and tensors."""
    c = num_feat
    return {
        'file': os.path.basename(features_path),
        'sha256': sha256(features_path),
        'reuse': 'a frame\'s features depend on that frame and the rectangle it was cut to only: compute them once per '
                 'frame and rectangle and reuse them in every window that holds the frame (edge replication included)',
        'inputs': [{'name': FEATURE_INPUT, 'dtype': 'float32', 'shape': ['B, 3, H, W'], 'layout': 'NCHW',
                    'range': [0, 1], 'description': 'single frames (B of them, any B), RGB as stored (gamma-encoded), '
                    'cut and padded exactly as in `frames`'}],
        'outputs': [{'name': n, 'dtype': 'float32', 'shape': [f'B, {c}, H/{s}, W/{s}'], 'layout': 'NCHW',
                     'description': f'pyramid level {k + 1} of each frame\'s features (H/{s} x W/{s})'}
                    for k, (n, s) in enumerate(zip(FEATURE_NAMES, FEATURE_SCALES))],
    }


def model_card(name: str, preset: str, model: torch.nn.Module, onnx_path: str,
               checkpoint: Optional[Dict[str, Any]], features_path: Optional[str] = None,
               opset: int = OPSET, contract: int = 1) -> Dict[str, Any]:
    """The model card; with `features_path`, of a two-part export (contract version 2); `contract` 4, of a graph
    that takes the pooled prior maps. `opset`: the main graph's (19 with native DeformConv nodes)."""
    dims = 'B, 5, 3, H, W'
    c = model.config['num_feat']
    directional = getattr(model, 'directional_motion', False)
    card: Dict[str, Any] = {
        'contractVersion': 2 if features_path else 3 if directional else 4 if contract == 4 else 1,
        'name': name,
        'file': os.path.basename(onnx_path),
        'sha256': sha256(onnx_path),
        **({'features': features_record(features_path, c)} if features_path else {}),
        'format': {'onnx': {'opset': opset}},
        'architecture': {'preset': preset, **model.config},
        'parameters': count_parameters(model),
        'windowSize': WINDOW_SIZE,
        'centreIndex': CENTRE_INDEX,
        'motionMap': {'kind': 'magnitude', 'definition': 'src/flow/motion-map.ts', 'of': 'the centre frame'},
        'paddingMultiple': PADDING_MULTIPLE,
        'minSize': MIN_SIZE,
        **({'tileSize': model.TILE_SIZE} if hasattr(model, 'TILE_SIZE') else {}),
        'padding': 'edge replication to a multiple of paddingMultiple, output cropped back',
        'inputs': ([
            {'name': n, 'dtype': 'float32', 'shape': [f'B, 5, {c}, H/{s}, W/{s}'], 'layout': 'NTCHW',
             'description': f'{n} of the window\'s 5 frames (the feature graph\'s output per frame), in window order'}
            for n, s in zip(FEATURE_NAMES, FEATURE_SCALES)] if features_path else []) + [
            {'name': 'frames', 'dtype': 'float32', 'shape': [dims], 'layout': 'NTCHW', 'range': [0, 1],
             'description': 'RGB as stored (gamma-encoded), centre frame at index 2'},
            {'name': 'motion', 'dtype': 'float32', 'shape': ['B, 1, H, W'], 'layout': 'NCHW', 'range': [0, 1],
             'description': 'motion map of the centre frame, computed on the blurred frames'},
            {'name': 'blurWeights', 'dtype': 'float32', 'shape': ['B, 5'], 'layout': 'NT', 'range': [0, 5],
             'description': 'Eq. 4 over whole frames, sums to 5 (src/deblur/statistics.ts)'},
        ] + ([
            {'name': PRIORS_INPUT, 'dtype': 'float32', 'shape': ['B, 15, H/2, W/2'], 'layout': 'NCHW',
             'definition': 'src/deblur/priors.ts',
             'description': 'the prior maps of the window (contrast over each frame\'s contrastScale, the maximum of '
                            'Eq. 1 over the whole frame; gradient; motion: |grey of the centre - grey of frame t|, the '
                            'motion map at the centre), channel group * 5 + frame, averaged over 2x2 pixels: computed '
                            'by the runtime from the other inputs'}]
            if contract == 4 else [
            {'name': 'contrastScale', 'dtype': 'float32', 'shape': ['B, 5'], 'layout': 'NT', 'range': [0, 1],
             'description': 'maximum of Eq. 1 over each whole frame (src/deblur/statistics.ts)'}]) + ([
            {'name': FLOW_INPUT, 'dtype': 'float32', 'shape': ['B, 4, H, W'], 'layout': 'NCHW',
             'description': 'the centre frame\'s flow vectors in pixels per frame: (u, v) of F(centre->next), then of '
                            'F(centre->prev), the flows of the motion map; at a sequence\'s ends the negation of the '
                            'one that exists stands in for the other (src/flow/motion-map.ts, flowInput)'}]
            if directional else []),
        'outputs': [{'name': 'restored', 'dtype': 'float32', 'shape': ['B, 3, H, W'], 'layout': 'NCHW',
                     'range': [0, 1], 'description': 'the restored centre frame, RGB gamma-encoded; clamp to [0, 1]'}],
    }
    if checkpoint is not None:
        cfg = checkpoint.get('config', {})
        card['training'] = {
            'config': cfg.get('name'), 'iterations': checkpoint.get('iteration'),
            'data': {k: {'roots': [os.path.relpath(r) for r in v.get('roots', [])],
                         **{kk: vv for kk, vv in v.items() if kk != 'roots'}}
                     for k, v in cfg.get('datasets', {}).items()},
            'loss': cfg.get('loss', {}), 'torch': checkpoint.get('torch'),
        }
        if checkpoint.get('init'):
            card['training']['init'] = os.path.relpath(checkpoint['init'])
        if cfg.get('source_training'):  # promotion.distill_prior: how the weights it started from were trained
            card['training']['source'] = cfg['source_training']
        card['validation'] = checkpoint.get('validation') or {}
    else:
        card['training'] = {'iterations': 0, 'note': 'randomly initialized (tests only)'}
        card['validation'] = {}
    return card


def network_from_card(card_path: str, overrides: Dict[str, Any]) -> Tuple[Dict[str, Any], nn.Module, Dict[str, Any]]:
    """The exported model `card_path` as a network again, its architecture changed by `overrides` (options that keep
    every parameter's shape): (the card, the network with the export's weights, its spec)."""
    from .onnx_weights import card_architecture, load_export_weights
    with open(card_path) as f:
        card = json.load(f)
    architecture = card_architecture(card_path)
    preset = architecture.pop('preset', None)
    if preset not in PRESETS:
        raise ValueError(f'{card_path} names no preset this trainer knows ({preset!r}); it cannot be re-exported')
    spec = {'type': preset, **architecture, **overrides}
    model = build_network(spec)
    load_export_weights(model, card_path, changed=overrides)
    return card, model, spec


def test_record(path: str) -> Dict[str, Any]:
    """The card's `test` entry from promotion.evaluate's JSON: per set and overall, the mean PSNR/SSIM of the
    blurred input and of each model evaluated (with its gain), the frames, and the metric conventions."""
    if not os.path.isfile(path):
        raise ValueError(f'--evaluation {path!r} does not exist (write it with python3 -m promotion.evaluate --out)')
    with open(path) as f:
        result = json.load(f)
    if 'overall' not in result or 'sets' not in result:
        raise ValueError(f'--evaluation {path!r} is not the output of python3 -m promotion.evaluate')
    return {
        'metrics': result.get('metrics'),
        'frames': result.get('frames'),
        'models': result.get('models'),
        'sets': {name: {'root': os.path.relpath(s['root']), 'frames': s['frames'], 'mean': s['mean']}
                 for name, s in result['sets'].items()},
        'overall': result['overall'],
    }


def write_parity(model: torch.nn.Module, folder: str, sizes: List[str], seed: int, contract: int = 1) -> None:
    """Per size: seeded inputs and PyTorch's output (and, for contract 2, the window's features [1, 5, C, h, w]; for
    contract 4, the pooled prior maps the runtime must compute from the inputs) as raw little-endian float32 files,
    listed in parity.json."""
    os.makedirs(folder, exist_ok=True)
    cases = []
    for k, size in enumerate(sizes):
        try:
            h, w = (int(v) for v in size.lower().split('x'))
        except ValueError:
            raise ValueError(f'Expected --parity-sizes like 32x32,48x64 but received {size!r}') from None
        x = {n: v for n, v in example_inputs(1, h, w, seed + k).items() if n in input_names(model)}
        with torch.no_grad():
            y = model(*(x[n] for n in input_names(model)))
            if contract == 4:  # what the runtime computes from the inputs, for its own test
                x[PRIORS_INPUT] = pooled_prior_maps(x['frames'], x['motion'], x['contrastScale'])
            feats = list(zip(FEATURE_NAMES, window_features(model, x['frames']))) if contract == 2 else []
        files = {}
        for n, tensor in list(x.items()) + feats + [('restored', y)]:
            fname = f'{size}-{n}.f32'
            tensor.detach().to(torch.float32).contiguous().numpy().astype('<f4').tofile(os.path.join(folder, fname))
            files[n] = {'file': fname, 'shape': list(tensor.shape)}
        cases.append({'size': size, 'height': h, 'width': w, 'tensors': files})
    with open(os.path.join(folder, 'parity.json'), 'w') as f:
        json.dump({'contractVersion': contract, 'cases': cases}, f, indent=2)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m promotion.export', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--checkpoint', help='training checkpoint (its network spec is used)')
    parser.add_argument('--preset', choices=sorted(PRESETS), help='with --random-init: the architecture')
    parser.add_argument('--random-init', action='store_true', help='export a randomly initialized network (tests)')
    parser.add_argument('--from-card', help="an exported model's card: its weights, in its network with the --set "
                        'options (which must keep every parameter\'s shape)')
    parser.add_argument('--set', action='append', default=[], metavar='KEY=VALUE',
                        help='override a network option, e.g. num_feat=16 (with --random-init or --from-card)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--name', required=True, help='file name stem of the .onnx and .json')
    parser.add_argument('--out-dir', default=os.path.join(os.path.dirname(__file__), '..', '..', 'models'))
    parser.add_argument('--contract', type=int, choices=CONTRACT_VERSIONS, default=DEFAULT_CONTRACT_VERSION,
                        help='runtime contract version (models/README.md): 1 writes one graph <name>.onnx; 2 writes '
                        'two, <name>.features.onnx (per frame) and <name>.onnx (per window), so the runtime reuses '
                        'each frame\'s features; 4 writes one graph that takes the prior maps at half resolution, which '
                        'the runtime computes (promotion-c with prior_stride 2) (default %(default)s)')
    parser.add_argument('--deform-conv', choices=DEFORM_CONV_MODES, default='native',
                        help='native: one ONNX DeformConv node per deformable conv (opset 19, ONNX Runtime 1.30 runs it); '
                        'grid: the grid_sample form (opset 16)')
    parser.add_argument('--parity-dir', help='also write seeded inputs and PyTorch outputs here')
    parser.add_argument('--parity-sizes', default='32x32,48x64')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--motion-finest-level', type=int, choices=(1, 2),
                        help='the card asks the runtime for its motion input from optical flow at this pyramid level '
                             '(1: half resolution, upsampled; motionMap.flow in models/README.md) instead of full '
                             'resolution: measure what it costs in dB on the validation set first')
    parser.add_argument('--clamp-radius', type=int, choices=range(0, 65), metavar='0-64',
                        help='the card asks the runtime to clamp the output to the input\'s local range over this radius '
                             '(clampRadius in models/README.md) instead of its default (3): the radius the network was '
                             'trained through (train.clamp_radius) or was measured best at; a --from-card export keeps '
                             'its source card\'s unless given')
    parser.add_argument('--clamp-motion', metavar='SCALE,MAX',
                        help='the card asks the runtime to let the clamp\'s radius follow the motion: each pixel\'s '
                             'floor(SCALE x its motion in px + 1/2), from the clamp radius up to MAX (clampMotion in '
                             'models/README.md; train.clamp_motion); needs a clamp radius of at least 1; a --from-card '
                             'export keeps its source card\'s unless given')
    parser.add_argument('--deadband', type=float, metavar='LEVELS',
                        help='the card asks the runtime to shrink each output sample\'s change from the input by this '
                             'many 8-bit grey levels before the clamp (deadband in models/README.md), 0-16; a '
                             '--from-card export keeps its source card\'s unless given')
    parser.add_argument('--deadband-flat', type=float, metavar='LEVELS',
                        help='with --deadband: only where the input spans at most this many grey levels within the '
                             'clamp radius (deadbandFlat in models/README.md), 0-255')
    parser.add_argument('--evaluation', help='results of python3 -m promotion.evaluate (JSON) to record in the card as '
                        '`test`: the held-out test sets, blurred input vs every model evaluated')
    args = parser.parse_args(argv)
    try:
        torch.set_num_threads(args.threads)
        checkpoint = None
        source_card = None
        overrides = {}
        for item in args.set:
            if '=' not in item:
                raise ValueError(f'Expected --set KEY=VALUE but received {item!r}')
            key, value = item.split('=', 1)
            overrides[key] = _parse_value(value)
        if args.deadband is not None:
            check_deadband(args.deadband, '--deadband')  # checked before anything is written
        if args.deadband_flat is not None:
            check_deadband_flat(args.deadband_flat, '--deadband-flat')
            if not args.deadband:
                raise ValueError('--deadband-flat needs --deadband (above 0): the deadband it bounds')
        clamp_motion = None
        if args.clamp_motion is not None:
            # Checked before anything is written.
            if args.clamp_radius is None:
                raise ValueError('--clamp-motion needs --clamp-radius (at least 1): the radius it starts from')
            clamp_motion = check_clamp_motion(parse_clamp_motion(args.clamp_motion), args.clamp_radius, '--clamp-motion')
        if sum(map(bool, (args.checkpoint, args.random_init, args.from_card))) > 1:
            raise ValueError('Give one of --checkpoint, --random-init and --from-card')
        if overrides and not (args.random_init or args.from_card):
            raise ValueError('--set changes the network of --random-init or --from-card only')
        if args.checkpoint:
            from .train import checkpoint_weights, load_checkpoint
            checkpoint = load_checkpoint(args.checkpoint)
            spec = dict(checkpoint['network'])
            model = build_network(spec)
            model.load_state_dict(checkpoint_weights(checkpoint))
        elif args.random_init:
            if not args.preset:
                raise ValueError('--random-init needs --preset')
            spec = {'type': args.preset, **overrides}
            torch.manual_seed(args.seed)
            model = build_network(spec)
            # Perturb the zero-initialized parameters (the offset convs, so the deformable sampling is exercised off
            # the grid; promotion-c's exit conv and block scales, so its output is not its input) and promotion-c's
            # LayerNorm affine parameters (its export graph folds them into the next convolution).
            with torch.no_grad():
                for name, p in model.named_parameters():
                    if ('conv_offset' in name or name.startswith(('exit.', 'fuse_flow.'))
                            or name.endswith(('.beta', '.gamma'))):
                        p.normal_(0, 0.05)
                    elif '.norm' in name:
                        p.add_(torch.randn_like(p) * 0.1)
        elif args.from_card:
            source_card, model, spec = network_from_card(args.from_card, overrides)
        else:
            raise ValueError('Give --checkpoint, --from-card, or --random-init with --preset')
        if args.from_card and clamp_motion is None and 'clampMotion' in source_card:
            # The source card's motion-following clamp kept, from the radius this export gives: checked before writing.
            kept = source_card['clampMotion']
            check_clamp_motion([kept.get('scale'), kept.get('maxRadius')],
                               args.clamp_radius if args.clamp_radius is not None else int(source_card.get('clampRadius', 0)),
                               f'{args.from_card}: clampMotion')
        model.eval()
        args.contract = contract_version(model, args.contract)
        os.makedirs(args.out_dir, exist_ok=True)
        onnx_path = os.path.join(args.out_dir, f'{args.name}.onnx')
        features_path = None
        if args.contract == 2 and not hasattr(model, 'extract_features'):
            raise ValueError(f'{spec["type"]} has no per-frame feature stage to export apart: use --contract 1')
        if args.contract == 2:
            features_path = os.path.join(args.out_dir, f'{args.name}.features.onnx')
            opset = export_two_parts(model, features_path, onnx_path, args.deform_conv)
            difference, runner = check_two_parts(model, features_path, onnx_path)
            if not difference <= TWO_PART_TOLERANCE:
                raise ExportCheckError(f'the two exported parts composed ({runner}) differ from the full model by '
                                   f'{difference:.3g} (more than {TWO_PART_TOLERANCE}); the export is wrong')
            print(f'two parts composed ({runner}) vs the full model: max abs difference {difference:.3g}')
        else:
            opset = export_onnx(model, onnx_path, args.deform_conv, args.contract)
        card = model_card(args.name, spec['type'], model, onnx_path, checkpoint, features_path, opset, args.contract)
        if source_card is not None:
            card['training'] = {**(source_card.get('training') or {}),
                                'reexported': {'from': os.path.relpath(args.from_card),
                                               'sha256': source_card.get('sha256'), 'changed': overrides}}
            card['validation'] = {}  # the source's was of another function
            if 'motionMap' in source_card and args.motion_finest_level is None:
                card['motionMap'] = source_card['motionMap']
            if 'clampRadius' in source_card and args.clamp_radius is None:
                card['clampRadius'] = source_card['clampRadius']
            if 'clampMotion' in source_card and args.clamp_motion is None:
                card['clampMotion'] = source_card['clampMotion']
            if 'deadband' in source_card and args.deadband is None:
                card['deadband'] = source_card['deadband']
                if 'deadbandFlat' in source_card:
                    card['deadbandFlat'] = source_card['deadbandFlat']
        if args.clamp_radius is not None:
            card['clampRadius'] = args.clamp_radius
        if args.clamp_motion is not None:
            scale, max_radius = clamp_motion
            card['clampMotion'] = {'scale': scale, 'maxRadius': max_radius}
        if args.deadband is not None and args.deadband > 0:
            card['deadband'] = args.deadband
            if args.deadband_flat is not None:
                card['deadbandFlat'] = args.deadband_flat
        if args.motion_finest_level is not None:
            card['motionMap']['flow'] = {'finestLevel': args.motion_finest_level}
        if args.evaluation:
            card['test'] = test_record(args.evaluation)
        with open(os.path.join(args.out_dir, f'{args.name}.json'), 'w') as f:
            json.dump(card, f, indent=2)
            f.write('\n')
        if args.parity_dir:
            write_parity(model, args.parity_dir, args.parity_sizes.split(','), args.seed, args.contract)
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    except ExportCheckError as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    if features_path:
        print(f'wrote {features_path} (sha256 {card["features"]["sha256"][:12]}...)')
    print(f'wrote {onnx_path} ({card["parameters"]} parameters, sha256 {card["sha256"][:12]}...)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
