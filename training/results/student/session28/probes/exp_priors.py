import sys, torch, warnings
from torch import nn
from torch.nn import functional as F
sys.path.insert(0, '.')
from promotion.export import network_from_card, _export, example_inputs
from promotion import CENTRE_INDEX
from promotion.archs.priors import prior_maps

card, model, spec = network_from_card('../models/promotion-c.json', {})
model.eval(); model.export_graph = True

class WithPooled(nn.Module):
    """The network from its pooled prior maps (what became contract version 4: PromotionUNet.forward_pooled_priors)."""
    def __init__(self, m): super().__init__(); self.m = m
    def forward(self, frames, motion, blur_weights, pooled):
        return self.m.forward_pooled_priors(frames, motion, blur_weights, pooled)

w = WithPooled(model).eval()
x = example_inputs(1, 64, 64, 0)
pooled = F.avg_pool2d(prior_maps(x['frames'], x['motion'], x['contrastScale']).flatten(1, 2), 2)
with torch.no_grad():
    a = model(x['frames'], x['motion'], x['blurWeights'], x['contrastScale'])
    b = w(x['frames'], x['motion'], x['blurWeights'], pooled)
print('max diff', (a - b).abs().max().item())
axes = {'frames': {0: 'batch', 3: 'height', 4: 'width'}, 'motion': {0: 'batch', 2: 'height', 3: 'width'},
        'blurWeights': {0: 'batch'}, 'pooled': {0: 'batch', 2: 'h2', 3: 'w2'}, 'restored': {0: 'batch', 2: 'height', 3: 'width'}}
_export(w, (x['frames'], x['motion'], x['blurWeights'], pooled), '/tmp/pc-pooled.onnx', ['frames', 'motion', 'blurWeights', 'pooled'], ['restored'], axes)
print('ok')
