"""Probe (session 19): Richardson-Lucy along the DIS flow's line kernels (the blur model of the renderer, exposure
centred), from the blurred frame, no network, on the yardstick's frames 1-8 (or FRAMES=2,5,7). PSNR of the blurred frame,
of the sharp frame re-blurred along the flow against the blurred one (how well the model fits), and after 3/6/10/15 steps.
  cd training && FINEST=2 /usr/bin/python3 results/deconvolve/probes/rl_probe.py ../.yardstick/lines/camera/scene_00000
Output of session 19's runs: rl_probe-output.txt (lines camera, then val camera/scene_00000 at frames 2, 5, 7)."""
import sys, os, math, json, time
import numpy as np, torch
import torch.nn.functional as Fnn
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..'))
from promotion.frame_val import _frames
from promotion.flow_torch import dis_flow, grey_255
torch.set_num_threads(int(os.environ.get('THREADS', '2')))
G = 2.2

def lin(u8): return (u8.float() / 255).pow(G)
def srgb8(x): return torch.round(x.clamp(0, 1).pow(1 / G) * 255)
def psnr(a, b):
    mse = ((a - b) ** 2).mean().item()
    return 99.0 if mse == 0 else 10 * math.log10(255 ** 2 / mse)

def base_grid(h, w):
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing='ij')
    return xs, ys

def line_avg(img, flows, sign, n):
    """img [1,3,H,W]; flows list of [2,H,W]; mean over halves and s in (0, 0.5] of img(x - sign * s F)."""
    _, _, h, w = img.shape
    xs, ys = base_grid(h, w)
    acc = torch.zeros_like(img)
    for F in flows:
        for j in range(n):
            s = (j + 0.5) / n * 0.5
            gx = xs - sign * s * F[0]; gy = ys - sign * s * F[1]
            grid = torch.stack((gx / (w - 1) * 2 - 1, gy / (h - 1) * 2 - 1), -1).unsqueeze(0)
            acc += Fnn.grid_sample(img, grid, mode='bilinear', padding_mode='border', align_corners=True)
    return acc / (n * len(flows))

def run(seq, iters=(3, 6, 10, 15), finest=int(os.environ.get('FINEST', '2')), frames=None):
    B8 = _frames(os.path.join(seq, 'blur')); S8 = _frames(os.path.join(seq, 'sharp'))
    grey = grey_255(B8.float() / 255)
    rows = []
    for k in (frames or range(1, B8.shape[0] - 1)):
        f = dis_flow(torch.stack([grey[k], grey[k]]), torch.stack([grey[k + 1], grey[k - 1]]), finest_level=finest, exact=False)
        flows = [f[0], f[1]]
        mags = torch.cat([f[0].norm(dim=0).flatten(), f[1].norm(dim=0).flatten()])
        peak = min(48.0, torch.quantile(mags[::7], 0.995).item())
        # DIS outliers: cap each vector's length at the 99.5th percentile
        for F in f:
            m = F.norm(dim=0, keepdim=True).clamp_min(1e-6); F.mul_(torch.clamp(peak / m, max=1.0))
        n = max(2, int(math.ceil(peak / 2)) + 1)
        B = lin(B8[k:k + 1]); S = lin(S8[k:k + 1])
        r = {'k': k, 'peak': round(peak, 1), 'blurred': psnr(srgb8(B), srgb8(S)),
             'reblur_sharp_vs_blurred': psnr(srgb8(line_avg(S, flows, 1, n)), srgb8(B))}
        I = B.clone()
        for it in range(1, max(iters) + 1):
            est = line_avg(I, flows, 1, n).clamp_min(1e-4)
            I = (I * line_avg(B / est, flows, -1, n)).clamp(0, 1)
            if it in iters: r[f'rl{it}'] = psnr(srgb8(I), srgb8(S))
        rows.append(r)
    return rows

if __name__ == '__main__':
    for seq in sys.argv[1:]:
        t = time.time(); rows = run(seq, frames=[int(x) for x in os.environ['FRAMES'].split(',')] if 'FRAMES' in os.environ else None)
        keys = [k for k in rows[0] if k not in ('k',)]
        mean = {k: round(float(np.mean([r[k] for r in rows])), 3) for k in keys}
        print(seq, json.dumps(mean), f'{time.time()-t:.0f}s', flush=True)
