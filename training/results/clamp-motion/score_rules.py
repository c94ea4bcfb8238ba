"""One-off experiment of session 16, kept beside its output (val-c8b-stride1-rules.json): the validation set scored
through fixed clamp radii and clamps whose radius follows the motion (per pixel r = round(a x motion px), half to
even, bounded by rmin .. rmax, raised to the next of 1-2-3-4-6-8-12-16), the network's raw outputs computed once per
model. The shipped rule (local_range.motion_radii, floor(a x px + 1/2)) differs only at exact halves; the (0.25, 2, 6)
row came out the same through the runtime (yardstick-val-c8b-stride1-motion-0.25-6.json).

    cd training && /usr/bin/python3 ../training/results/clamp-motion/score_rules.py ../.yardstick/val <card>
"""
import sys, json
import numpy as np, torch
sys.path.insert(0, __import__('os').path.join(__import__('os').path.dirname(__file__), '..', '..'))
from promotion import CENTRE_INDEX, WINDOW_SIZE
from promotion.frame_val import FrameValidation, _padded_forward, _psnr
from promotion.local_range import local_range
from promotion.statistics import torch_blur_weights
from promotion.evaluate import load_model
torch.set_num_threads(1)
root = sys.argv[1]; models = sys.argv[2:]
val = FrameValidation(root, torch.device('cpu'), None, 2, flow=True)
RADII = [1, 2, 3, 4, 6, 8, 12, 16]
rules = [('fixed', r) for r in (2, 3, 4, 6)] + [('adapt', a, lo, hi) for a in (0.25, 0.5, 0.75) for lo in (2,) for hi in (6, 12, 16)]
out = {}
for path in models:
    model = load_model(path, False)[0].eval()
    res = {str(r): [] for r in rules}
    for s in val.sequences:
        t = len(s['inputs']); per = {str(r): [] for r in rules}
        for k in range(t):
            idx = [min(max(k + d - CENTRE_INDEX, 0), t - 1) for d in range(WINDOW_SIZE)]
            frames = s['inputs'][idx][None]
            with torch.no_grad():
                raw = _padded_forward(model, frames, s['motion'][k:k+1], torch_blur_weights(s['variances'][idx][None]).float(), s['scales'][idx][None].float())
            c = frames[:, CENTRE_INDEX]
            rng = {r: local_range(c, r) for r in RADII}
            f = s['flow'][k:k+1]
            mag = 0.5 * (f[:, 0:2].norm(dim=1, keepdim=True) + f[:, 2:4].norm(dim=1, keepdim=True))
            for rule in rules:
                if rule[0] == 'fixed':
                    lo, hi = rng[rule[1]]
                else:
                    _, a, rmin, rmax = rule
                    want = (a * mag).round().clamp(rmin, rmax)
                    lo = torch.zeros_like(c); hi = torch.zeros_like(c)
                    chosen = torch.zeros_like(mag, dtype=torch.bool)
                    for r in RADII:
                        if r < rmin or r > rmax: continue
                        sel = (want <= r) & ~chosen
                        lo = torch.where(sel, rng[r][0], lo); hi = torch.where(sel, rng[r][1], hi)
                        chosen |= sel
                    sel = ~chosen
                    r = max(x for x in RADII if x <= rmax)
                    lo = torch.where(sel, rng[r][0], lo); hi = torch.where(sel, rng[r][1], hi)
                o = torch.maximum(torch.minimum(raw, hi), lo).clamp(0, 1)
                per[str(rule)].append(_psnr(torch.round(o[0] * 255).to(torch.uint8), s['sharp'][k]))
        for r in rules:
            res[str(r)].append((s['kind'], s['id'], float(np.mean(per[str(r)])) - s['blurred_db']))
        print(path, s['kind'], s['id'], 'fixed2 %+.3f' % res[str(('fixed', 2))][-1][2], 'best', max((res[str(r)][-1][2], str(r)) for r in rules), flush=True)
    out[path] = res
    for r in rules:
        g = res[str(r)]
        cam = np.mean([x[2] for x in g if x[0] == 'camera']); loc = np.mean([x[2] for x in g if x[0] == 'local'])
        print(f'{path} {str(r):24s} mean {np.mean([x[2] for x in g]):+.3f} camera {cam:+.3f} local {loc:+.3f} worst {min(x[2] for x in g):+.3f}', flush=True)
json.dump(out, open('clamp-motion-rules.json', 'w'), indent=1)  # in the working folder
