"""Session 18 probe: the deadband (1 level) only where the input spans at most FLAT levels within radius 2, scored with
frame_val: cd training && PYTHONPATH=. /usr/bin/python3 results/deadband/probe_flat.py <set> <card> 3,6,12
Output: README.md in this folder."""
import sys, torch
from promotion import frame_val as fv
from promotion.evaluate import load_model
from promotion.frame_val import FrameValidation, card_clamp_radius, card_clamp_motion, CENTRE_INDEX
from promotion.local_range import local_range
root, card, flats = sys.argv[1], sys.argv[2], [float(a) for a in sys.argv[3].split(',')]
torch.set_num_threads(2)
orig = fv._padded_forward
state = {'f': 0.0}
def patched(model, frames, motion, weights, scales, flow=None):
    out = orig(model, frames, motion, weights, scales, flow)
    x = frames[:, CENTRE_INDEX]
    lo, hi = local_range(x, 2)
    flat = ((hi - lo) <= state['f'] / 255 + 1e-6).float()
    r = out - x
    shrunk = torch.sign(r) * (r.abs() - 1 / 255).clamp(min=0)
    return x + flat * shrunk + (1 - flat) * r
fv._padded_forward = patched
model = load_model(card, False)[0]
val = FrameValidation(root, torch.device('cpu'), None, 2, flow=card_clamp_motion(card) is not None)
val.clamp_radius, val.clamp_motion = card_clamp_radius(card), card_clamp_motion(card)
for f in flats:
    state['f'] = f
    r = val.score(model)
    print(f'flat {f}: mean {r["gain"]:+.3f} worst {r["worst"]:+.3f} ' + ' '.join(f'{k} {r[k]:+.3f}' for k in ('camera','local') if k in r), flush=True)
    print('   ' + ' '.join(f'{s["gain_db"]:+.2f}' for s in r['sequences']), flush=True)
