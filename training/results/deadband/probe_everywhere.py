"""Session 18 probe: the runtime's deadband applied everywhere (the residual shrunk by LEVELS before the card's clamp),
scored with frame_val: cd training && PYTHONPATH=. /usr/bin/python3 results/deadband/probe_everywhere.py <set> <card> 0,0.5,1
Output: README.md in this folder."""
import sys, torch
from promotion import frame_val as fv
from promotion.evaluate import load_model
from promotion.frame_val import FrameValidation, card_clamp_radius, card_clamp_motion, CENTRE_INDEX
root, card, alphas = sys.argv[1], sys.argv[2], [float(a) for a in sys.argv[3].split(',')]
torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 2)
orig = fv._padded_forward
state = {'a': 1.0}
def patched(model, frames, motion, weights, scales, flow=None):
    out = orig(model, frames, motion, weights, scales, flow)
    x = frames[:, CENTRE_INDEX]
    r = out - x; t = state["a"] / 255; return x + torch.sign(r) * (r.abs() - t).clamp(min=0)
fv._padded_forward = patched
model = load_model(card, False)[0]
val = FrameValidation(root, torch.device('cpu'), None, 2, flow=card_clamp_motion(card) is not None)
val.clamp_radius, val.clamp_motion = card_clamp_radius(card), card_clamp_motion(card)
for a in alphas:
    state['a'] = a
    r = val.score(model)
    print(f'deadband {a}/255: mean {r["gain"]:+.3f} worst {r["worst"]:+.3f} ' + ' '.join(f'{k} {r[k]:+.3f}' for k in ('camera','local') if k in r), flush=True)
    print('   ' + ' '.join(f'{s["gain_db"]:+.2f}' for s in r['sequences']), flush=True)
