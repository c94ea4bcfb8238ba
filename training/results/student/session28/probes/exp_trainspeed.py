import sys, time, torch
from torch import nn
from torch.nn import functional as F
sys.path.insert(0, '.'); sys.argv = ['x']
exec(open('../training/results/student/session28/probes/exp_resblock.py').read().split('for name, block')[0])
from promotion.archs import unet_arch, build_network
from promotion.export import example_inputs
torch.set_num_threads(1)
x = example_inputs(8, 128, 128, 0); args = [x[n] for n in ['frames','motion','blurWeights','contrastScale']]
orig = unet_arch.NAFBlock
def t(m, n=3):
    def step():
        out = m(*args); out.mean().backward()
    step(); ts = []
    for _ in range(n):
        a = time.time(); step(); ts.append(time.time() - a)
    return min(ts)
print('naf16', t(build_network({'type':'promotion-c','num_feat':16,'prior_stride':2})))
unet_arch.NAFBlock = DWBlock
print('dw32', t(build_network({'type':'promotion-c','num_feat':32,'prior_stride':2})))
print('dw16', t(build_network({'type':'promotion-c','num_feat':16,'prior_stride':2})))
