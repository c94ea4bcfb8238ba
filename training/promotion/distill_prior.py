"""Moves an exported network's prior branch to another stride without changing what it tells the network.

`prior_stride` 2 (unet_arch.py) runs the Table-1 prior branch on 2x2-averaged maps, both 5x5 convolutions at a
quarter of the pixels, with the same weights; re-exported as it is (`python3 -m promotion.export --from-card`), the
shipped promotion-c kept its validation gain but acted on sharp input (docs/deblur-model.md). This fits the branch
at the new stride (the student: its three convolutions, about 4,600 parameters; the rest of the network is not
involved) to the output of the branch at the old one (the teacher, frozen) on training windows, with a mean squared
error at H/4, where the output multiplies the fused feature. So the rest of the network sees what it was trained on.

    cd training && /usr/bin/python3 -m promotion.distill_prior ../models/promotion-c.json --stride 2 \\
        --out ../runs/prior-distill --roots ../.train-data/v2/mixed,../.train-data/v2/local,../.train-data/v2/short,../.train-data/v2/still
    python3 -m promotion.export --checkpoint ../runs/prior-distill/distilled.pt --name promotion-c --motion-finest-level 2

Writes <out>/distilled.pt (a checkpoint the exporter and `promotion.frame_val` read: the card's network at the new
stride, its weights with the fitted branch) and <out>/distill.csv (the loss, and the error relative to the
teacher's output, by iteration). Measure the result through the runtime before shipping it.
"""
import argparse
import csv
import os
import sys
from typing import List, Optional

import torch
from torch.nn import functional as F

from .archs.priors import prior_maps
from .data import SequenceDataset
from .export import network_from_card


def distill(card: str, stride: int, roots: List[str], out: str, iterations: int = 2000, batch_size: int = 8,
            crop: int = 160, lr: float = 3e-3, seed: int = 0, motion_finest_level: Optional[int] = 2,
            log_every: int = 50, quiet: bool = False) -> str:
    """Fits the prior branch of `card`'s network at `stride` to its branch as exported; returns the checkpoint's path."""
    source, teacher, _ = network_from_card(card, {})
    if getattr(teacher, 'prior_encoder', None) is None:
        raise ValueError(f'{card}: its network has no prior branch (use_priors is off)')
    if teacher.prior_encoder.stride == stride:
        raise ValueError(f'{card}: its prior branch already runs at stride {stride}')
    _, model, student_spec = network_from_card(card, {'prior_stride': stride})
    if stride == 1:  # the paper's stride is not recorded (unet_arch.py)
        student_spec.pop('prior_stride')
    student, reference = model.prior_encoder, teacher.prior_encoder.eval()
    for p in reference.parameters():
        p.requires_grad_(False)
    torch.manual_seed(seed)
    data = SequenceDataset(roots, crop=crop, augment=True, seed=seed, texture=[4, 0.004],
                           motion_finest_level=motion_finest_level)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(student.parameters(), lr=lr, betas=(0.9, 0.99))
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, iterations, eta_min=lr * 0.01)
    os.makedirs(out, exist_ok=True)
    log_path = os.path.join(out, 'distill.csv')
    use = (teacher.use_contrast, teacher.use_structure, teacher.use_motion)
    with open(log_path, 'w', newline='') as f:
        log = csv.writer(f)
        log.writerow(['iteration', 'loss', 'relative_error'])
        for it in range(1, iterations + 1):
            picks = torch.randint(len(data), (batch_size,), generator=generator).tolist()
            batch = [data[i] for i in picks]
            frames = torch.stack([b['frames'] for b in batch])
            motion = torch.stack([b['motion'] for b in batch])
            scale = torch.stack([b['contrastScale'] for b in batch])
            with torch.no_grad():
                maps = prior_maps(frames, motion, scale, *use)
                want = reference(maps)
            got = student(maps)
            loss = F.mse_loss(got, want)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            if it == 1 or it % log_every == 0 or it == iterations:
                with torch.no_grad():
                    relative = ((got - want).pow(2).mean() / (want - want.mean()).pow(2).mean()).sqrt().item()
                log.writerow([it, f'{loss.item():.6g}', f'{relative:.5f}'])
                f.flush()
                if not quiet:
                    print(f'[{it}] loss {loss.item():.4g} relative error {relative:.4f}', flush=True)
    path = os.path.join(out, 'distilled.pt')
    torch.save({'network': student_spec, 'model': model.state_dict(), 'iteration': iterations,
                'torch': torch.__version__, 'init': card,
                'config': {'name': f'distill_prior {os.path.basename(card)} stride {stride}',
                           'datasets': {'train': {'roots': roots, 'crop': crop, 'motion_finest_level': motion_finest_level}},
                           'loss': {'distill': 'mse of the prior branch output at H/4 against the source network\'s'},
                           'source_training': {**(source.get('training') or {}), 'sha256': source.get('sha256')}}},
               path)
    return path


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='python3 -m promotion.distill_prior', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('card', help="the exported model's card (models/promotion-c.json)")
    parser.add_argument('--stride', type=int, choices=(1, 2), default=2)
    parser.add_argument('--roots', required=True, help='training sequence folders, comma-separated')
    parser.add_argument('--out', required=True)
    parser.add_argument('--iterations', type=int, default=2000)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--crop', type=int, default=160)
    parser.add_argument('--lr', type=float, default=3e-3)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        if args.iterations < 1 or args.batch_size < 1:
            raise ValueError('Expected --iterations and --batch-size of at least 1')
        path = distill(args.card, args.stride, args.roots.split(','), args.out, args.iterations, args.batch_size,
                       args.crop, args.lr, args.seed)
    except (ValueError, FileNotFoundError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
