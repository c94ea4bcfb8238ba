"""Evaluation on held-out test sets: `python3 -m promotion.evaluate`.

    python3 -m promotion.evaluate --model promotion-s=../runs/promotion-s/checkpoints/iter_00002500.pt \
        --model edvr-s=../runs/edvr-s/checkpoints/iter_00002500.pt \
        --set camera=../.train-data/test/camera --set local=../.train-data/test/local --out results.json

Every frame of every sequence is restored whole (5-frame window, edges replicated, frames cut down to a multiple of
16 as in validation) and scored against its sharp frame: PSNR and SSIM (promotion/metrics: RGB, [0, 1], no border
crop, SSIM with an 11x11 Gaussian window, sigma 1.5). The blurred input is scored the same way, so each model's gain
is its mean minus the blurred input's mean over the same frames. Writes JSON (per set, per sequence and overall)
and prints a table.
"""
import argparse
import json
import os
import sys
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch

from .archs import build_network
from .data import SequenceDataset
from .metrics import psnr, ssim


def load_model(path: str, trained: bool = False) -> Tuple[torch.nn.Module, Dict[str, Any]]:
    """A training checkpoint, or an exported model by its card or .onnx file (onnx_weights.py; the network from the
    card's architecture), in eval mode, with its state (`network` in both cases). The one loader of the package's
    commands (evaluate, frame_val, score_scenes, soup). A checkpoint gives its moving average of the weights when it
    has one (train.ema), or with `trained` its trained weights."""
    from .train import checkpoint_weights, load_checkpoint
    if not os.path.isfile(path):
        raise ValueError(f'Checkpoint {path!r} does not exist')
    if path.endswith(('.json', '.onnx')):
        from .onnx_weights import card_architecture, load_export_weights
        architecture = card_architecture(path)
        network = {'type': architecture.pop('preset', None), **architecture}
        model = build_network(network)
        load_export_weights(model, path)
        return model.eval(), {'network': network, 'export': path}
    state = load_checkpoint(path)
    model = build_network(dict(state['network']))
    model.load_state_dict(state['model'] if trained else checkpoint_weights(state))
    return model.eval(), state


def _pair(text: str, what: str) -> Tuple[str, str]:
    if '=' not in text:
        raise ValueError(f'Expected {what} as NAME=PATH but received {text!r}')
    name, path = text.split('=', 1)
    return name, path


@torch.no_grad()
def evaluate(models: Dict[str, torch.nn.Module], sets: Dict[str, str]) -> Dict[str, Any]:
    """Scores for each set: blurred input and each model, per sequence and over all frames of the set."""
    out: Dict[str, Any] = {'sets': {}}
    overall: Dict[str, Dict[str, List[float]]] = {}
    for set_name, root in sets.items():
        ds = SequenceDataset([root], crop=None, augment=False, seed=0)
        per_seq: Dict[str, Dict[str, Dict[str, List[float]]]] = {}
        for idx in range(len(ds)):
            s, _ = ds.samples[idx]
            seq = os.path.basename(ds.sequences[s]['folder'])
            sample = {k: v[None] for k, v in ds[idx].items()}
            outputs = {'blurred': sample['frames'][:, 2]}
            for name, model in models.items():
                outputs[name] = model(sample['frames'], sample['motion'], sample['blurWeights'],
                                      sample['contrastScale']).clamp(0, 1)
            for name, image in outputs.items():
                scores = per_seq.setdefault(seq, {}).setdefault(name, {'psnr': [], 'ssim': []})
                scores['psnr'].append(psnr(image, sample['gt']))
                scores['ssim'].append(ssim(image, sample['gt']))
        set_rows: Dict[str, Any] = {'root': root, 'frames': len(ds), 'sequences': {}, 'mean': {}}
        pooled: Dict[str, Dict[str, List[float]]] = {}
        for seq, by_name in sorted(per_seq.items()):
            set_rows['sequences'][seq] = {n: {m: float(np.mean(v)) for m, v in sc.items()} for n, sc in by_name.items()}
            for n, sc in by_name.items():
                for m, v in sc.items():
                    pooled.setdefault(n, {}).setdefault(m, []).extend(v)
                    overall.setdefault(n, {}).setdefault(m, []).extend(v)
        set_rows['mean'] = {n: {m: float(np.mean(v)) for m, v in sc.items()} for n, sc in pooled.items()}
        out['sets'][set_name] = set_rows
    out['overall'] = {n: {m: float(np.mean(v)) for m, v in sc.items()} for n, sc in overall.items()}
    out['frames'] = sum(s['frames'] for s in out['sets'].values())
    for scope in [out['overall']] + [s['mean'] for s in out['sets'].values()]:
        base = scope['blurred']
        for n in models:
            scope[n]['psnrGain'] = scope[n]['psnr'] - base['psnr']
            scope[n]['ssimGain'] = scope[n]['ssim'] - base['ssim']
    return out


def table(result: Dict[str, Any]) -> str:
    names = list(result['overall'].keys())
    lines = [f'{"set":<10}' + ''.join(f'{n + " PSNR/SSIM":>28}' for n in names)]
    scopes = [(k, v['mean']) for k, v in result['sets'].items()] + [('all', result['overall'])]
    for label, scope in scopes:
        cells = []
        for n in names:
            r = scope[n]
            gain = f' ({r["psnrGain"]:+.2f})' if 'psnrGain' in r else ''
            cells.append(f'{r["psnr"]:.2f} dB{gain} / {r["ssim"]:.4f}'.rjust(28))
        lines.append(f'{label:<10}' + ''.join(cells))
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m promotion.evaluate', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model', action='append', required=True, metavar='NAME=CHECKPOINT')
    parser.add_argument('--set', action='append', required=True, metavar='NAME=ROOT')
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args(argv)
    try:
        torch.set_num_threads(args.threads)
        models, checkpoints = {}, {}
        for item in args.model:
            name, path = _pair(item, '--model')
            models[name], state = load_model(path)
            checkpoints[name] = {'checkpoint': os.path.relpath(path), 'iteration': state.get('iteration'),
                                 'network': state.get('network')}
        sets = dict(_pair(item, '--set') for item in args.set)
        result = evaluate(models, sets)
        result['models'] = checkpoints
        result['metrics'] = 'RGB, [0, 1], no border crop; SSIM 11x11 Gaussian, sigma 1.5 (promotion/metrics)'
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    print(table(result))
    if args.out:
        tmp = args.out + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(result, f, indent=2)
            f.write('\n')
        os.replace(tmp, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
