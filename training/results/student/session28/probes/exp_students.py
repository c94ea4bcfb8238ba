import sys, torch
sys.path.insert(0, '.')

from promotion.archs import build_network
from promotion.export import export_onnx
variants = {
 'c24': dict(num_feat=24),
 'c16': dict(num_feat=16),
 'c32-lean': dict(num_feat=32, enc_blocks=[1,1,1], middle_blocks=2, dec_blocks=[1,1,1]),
 'c24-lean': dict(num_feat=24, enc_blocks=[1,1,1], middle_blocks=2, dec_blocks=[1,1,1]),
 'c32-noL0': dict(num_feat=32, enc_blocks=[0,1,2], dec_blocks=[1,1,0]),
}
base = dict(type='promotion-c', num_feat=32, enc_blocks=[1,1,2], middle_blocks=4, dec_blocks=[1,1,1], prior_stride=2)
for name, v in variants.items():
    spec = {**base, **v}
    m = build_network(spec); m.eval()
    export_onnx(m, f'/tmp/st-{name}.onnx')
    print(name, sum(p.numel() for p in m.parameters()))
