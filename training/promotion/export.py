"""ONNX export: `python3 -m promotion.export` writes <out-dir>/<name>.onnx (opset 16, dynamic batch, height and
width) and the model card <out-dir>/<name>.json (models/README.md describes both).

    python3 -m promotion.export --checkpoint runs/x/checkpoints/iter_00010000.pt --name promotion-s
    python3 -m promotion.export --preset promotion-s --random-init --seed 0 --name tiny --out-dir /tmp/m \
        --set num_feat=16 --parity-dir /tmp/m/parity --parity-sizes 32x32,48x64

--parity-dir also writes, per size, seeded inputs and PyTorch's output as raw little-endian float32 files and a
parity.json listing them, for the TypeScript parity test (test/training/export-parity.test.ts).
"""
import argparse
import hashlib
import inspect
import json
import os
import sys
import warnings
from typing import Any, Dict, List, Optional

import torch

from . import CENTRE_INDEX, CONTRACT_VERSION, MIN_SIZE, PADDING_MULTIPLE, WINDOW_SIZE
from .archs import PRESETS, build_network, count_parameters

OPSET = 16
INPUT_NAMES = ['frames', 'motion', 'blurWeights', 'contrastScale']
OUTPUT_NAMES = ['restored']


def _parse_value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ('true', 'false'):
        return lowered == 'true'
    try:
        return int(text)
    except ValueError:
        raise ValueError(f'Expected an integer or true/false in --set but received {text!r}') from None


def example_inputs(b: int, h: int, w: int, seed: int) -> Dict[str, torch.Tensor]:
    """Seeded inputs that follow the contract (blurWeights sum to 5, contrastScale positive)."""
    g = torch.Generator().manual_seed(seed)
    bw = torch.rand(b, WINDOW_SIZE, generator=g) + 0.5
    return {
        'frames': torch.rand(b, WINDOW_SIZE, 3, h, w, generator=g),
        'motion': torch.rand(b, 1, h, w, generator=g),
        'blurWeights': bw * WINDOW_SIZE / bw.sum(dim=1, keepdim=True),
        'contrastScale': torch.rand(b, WINDOW_SIZE, generator=g) * 0.2 + 0.01,
    }


def export_onnx(model: torch.nn.Module, path: str) -> None:
    model.eval()
    x = example_inputs(1, 64, 64, 0)
    axes = {'frames': {0: 'batch', 3: 'height', 4: 'width'}, 'motion': {0: 'batch', 2: 'height', 3: 'width'},
            'blurWeights': {0: 'batch'}, 'contrastScale': {0: 'batch'},
            'restored': {0: 'batch', 2: 'height', 3: 'width'}}
    # PyTorch >= 2.9 defaults to the dynamo exporter; the TorchScript one is what this export is verified with.
    extra = {'dynamo': False} if 'dynamo' in inspect.signature(torch.onnx.export).parameters else {}
    # The tracer warns about the input checks in dcn.py and priors.py: they compare channel counts, which are
    # constants of the graph; height and width stay dynamic (the parity test runs two sizes). The exporter's
    # constant-folding notes are about strided slices it leaves unfolded. Both are silenced as noise.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings('ignore', category=torch.jit.TracerWarning)
        warnings.filterwarnings('ignore', message='(Constant folding|The shape inference of prim::Constant)')
        torch.onnx.export(model, tuple(x[n] for n in INPUT_NAMES), path, opset_version=OPSET,
                          input_names=INPUT_NAMES, output_names=OUTPUT_NAMES, dynamic_axes=axes,
                          do_constant_folding=True, **extra)
    import onnx  # imported here so that training never needs it
    onnx.checker.check_model(onnx.load(path))


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def model_card(name: str, preset: str, model: torch.nn.Module, onnx_path: str,
               checkpoint: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    dims = 'B, 5, 3, H, W'
    card: Dict[str, Any] = {
        'contractVersion': CONTRACT_VERSION,
        'name': name,
        'file': os.path.basename(onnx_path),
        'sha256': sha256(onnx_path),
        'format': {'onnx': {'opset': OPSET}},
        'architecture': {'preset': preset, **model.config},
        'parameters': count_parameters(model),
        'windowSize': WINDOW_SIZE,
        'centreIndex': CENTRE_INDEX,
        'motionMap': {'kind': 'magnitude', 'definition': 'src/flow/motion-map.ts', 'of': 'the centre frame'},
        'paddingMultiple': PADDING_MULTIPLE,
        'minSize': MIN_SIZE,
        'padding': 'edge replication to a multiple of paddingMultiple, output cropped back',
        'inputs': [
            {'name': 'frames', 'dtype': 'float32', 'shape': [dims], 'layout': 'NTCHW', 'range': [0, 1],
             'description': 'RGB as stored (gamma-encoded), centre frame at index 2'},
            {'name': 'motion', 'dtype': 'float32', 'shape': ['B, 1, H, W'], 'layout': 'NCHW', 'range': [0, 1],
             'description': 'motion map of the centre frame, computed on the blurred frames'},
            {'name': 'blurWeights', 'dtype': 'float32', 'shape': ['B, 5'], 'layout': 'NT', 'range': [0, 5],
             'description': 'Eq. 4 over whole frames, sums to 5 (src/deblur/statistics.ts)'},
            {'name': 'contrastScale', 'dtype': 'float32', 'shape': ['B, 5'], 'layout': 'NT', 'range': [0, 1],
             'description': 'maximum of Eq. 1 over each whole frame (src/deblur/statistics.ts)'},
        ],
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
        card['validation'] = checkpoint.get('validation') or {}
    else:
        card['training'] = {'iterations': 0, 'note': 'randomly initialized (tests only)'}
        card['validation'] = {}
    return card


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


def write_parity(model: torch.nn.Module, folder: str, sizes: List[str], seed: int) -> None:
    os.makedirs(folder, exist_ok=True)
    cases = []
    for k, size in enumerate(sizes):
        try:
            h, w = (int(v) for v in size.lower().split('x'))
        except ValueError:
            raise ValueError(f'Expected --parity-sizes like 32x32,48x64 but received {size!r}') from None
        x = example_inputs(1, h, w, seed + k)
        with torch.no_grad():
            y = model(*(x[n] for n in INPUT_NAMES))
        files = {}
        for n, tensor in list(x.items()) + [('restored', y)]:
            fname = f'{size}-{n}.f32'
            tensor.detach().to(torch.float32).contiguous().numpy().astype('<f4').tofile(os.path.join(folder, fname))
            files[n] = {'file': fname, 'shape': list(tensor.shape)}
        cases.append({'size': size, 'height': h, 'width': w, 'tensors': files})
    with open(os.path.join(folder, 'parity.json'), 'w') as f:
        json.dump({'cases': cases}, f, indent=2)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m promotion.export', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--checkpoint', help='training checkpoint (its network spec is used)')
    parser.add_argument('--preset', choices=sorted(PRESETS), help='with --random-init: the architecture')
    parser.add_argument('--random-init', action='store_true', help='export a randomly initialized network (tests)')
    parser.add_argument('--set', action='append', default=[], metavar='KEY=VALUE',
                        help='override a network option, e.g. num_feat=16 (with --random-init)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--name', required=True, help='file name stem of the .onnx and .json')
    parser.add_argument('--out-dir', default=os.path.join(os.path.dirname(__file__), '..', '..', 'models'))
    parser.add_argument('--parity-dir', help='also write seeded inputs and PyTorch outputs here')
    parser.add_argument('--parity-sizes', default='32x32,48x64')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--evaluation', help='results of python3 -m promotion.evaluate (JSON) to record in the card as '
                        '`test`: the held-out test sets, blurred input vs every model evaluated')
    args = parser.parse_args(argv)
    try:
        torch.set_num_threads(args.threads)
        checkpoint = None
        if args.checkpoint:
            from .train import load_checkpoint
            checkpoint = load_checkpoint(args.checkpoint)
            spec = dict(checkpoint['network'])
            model = build_network(spec)
            model.load_state_dict(checkpoint['model'])
        elif args.random_init:
            if not args.preset:
                raise ValueError('--random-init needs --preset')
            overrides = {}
            for item in args.set:
                if '=' not in item:
                    raise ValueError(f'Expected --set KEY=VALUE but received {item!r}')
                key, value = item.split('=', 1)
                overrides[key] = _parse_value(value)
            spec = {'type': args.preset, **overrides}
            torch.manual_seed(args.seed)
            model = build_network(spec)
            # Perturb the zero-initialized offset convs so the deformable sampling is exercised off the grid.
            with torch.no_grad():
                for name, p in model.named_parameters():
                    if 'conv_offset' in name:
                        p.normal_(0, 0.05)
        else:
            raise ValueError('Give --checkpoint, or --random-init with --preset')
        model.eval()
        os.makedirs(args.out_dir, exist_ok=True)
        onnx_path = os.path.join(args.out_dir, f'{args.name}.onnx')
        export_onnx(model, onnx_path)
        card = model_card(args.name, spec['type'], model, onnx_path, checkpoint)
        if args.evaluation:
            card['test'] = test_record(args.evaluation)
        with open(os.path.join(args.out_dir, f'{args.name}.json'), 'w') as f:
            json.dump(card, f, indent=2)
            f.write('\n')
        if args.parity_dir:
            write_parity(model, args.parity_dir, args.parity_sizes.split(','), args.seed)
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    print(f'wrote {onnx_path} ({card["parameters"]} parameters, sha256 {card["sha256"][:12]}...)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
