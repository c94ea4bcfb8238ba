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
    def __init__(self, m): super().__init__(); self.m = m
    def forward(self, frames, motion, blur_weights, pooled):
        m = self.m
        x = m._enter(frames, motion, blur_weights)
        skips = []
        for level, (encoder, down) in enumerate(zip(m.encoders, m.downs)):
            x = encoder(x)
            if level == 1:
                pe = m.prior_encoder
                w1 = pe.conv1.weight
                w1 = torch.stack([F.pad(w1, (0, 0, 0, 0, d, 2 - d)) for d in range(3)], 1).reshape(27, 5, 5, 5)
                b1 = pe.conv1.bias.view(9, 1).expand(9, 3).reshape(27)
                y = F.max_pool2d(F.conv2d(pooled, w1, b1, padding=2, groups=3), 2)
                y = F.conv2d(y, pe.conv2.weight.reshape(27, 3, 5, 5), pe.conv2.bias, padding=2, groups=9)
                x = x * pe.conv3(y)
            skips.append(x)
            x = down(x)
        x = m.middle(x)
        for up, decoder, skip in zip(m.ups, m.decoders, reversed(skips)):
            x = decoder(m._up(up, x) + skip)
        return F.pixel_shuffle(m.exit(x), 2) + frames[:, CENTRE_INDEX]

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
