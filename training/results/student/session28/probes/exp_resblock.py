import sys, torch
from torch import nn
from torch.nn import functional as F
sys.path.insert(0, '.')
from promotion.archs import unet_arch, build_network
from promotion.export import export_onnx

class ResBlock(nn.Module):
    """conv3x3 - ReLU - conv3x3 + residual (ORT fuses Conv+Relu and Conv+Add in its NCHWc layout)."""
    def __init__(self, c, channel_attention, window):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, 1, 1)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1)
        self.export_graph = False
    def forward(self, x):
        return x + self.conv2(F.relu(self.conv1(x)))

class DWBlock(nn.Module):
    """inverted bottleneck without gates: 1x1 to 2c, ReLU, depthwise 3x3, ReLU, 1x1 back, residual."""
    def __init__(self, c, channel_attention, window):
        super().__init__()
        self.a = nn.Conv2d(c, 2 * c, 1); self.b = nn.Conv2d(2 * c, 2 * c, 3, 1, 1, groups=2 * c); self.c = nn.Conv2d(2 * c, c, 1)
        self.export_graph = False
    def forward(self, x):
        return x + self.c(F.relu(self.b(F.relu(self.a(x)))))

for name, block, nf in [('res16', ResBlock, 16), ('res32', ResBlock, 32), ('dw32', DWBlock, 32), ('dw16', DWBlock, 16)]:
    unet_arch.NAFBlock = block
    m = build_network({'type': 'promotion-c', 'num_feat': nf, 'prior_stride': 2}).eval()
    print(name, sum(p.numel() for p in m.parameters()))
    export_onnx(m, f'/tmp/blk-{name}.onnx', contract=4)

class DWSCA(DWBlock):
    def __init__(self, c, channel_attention, window):
        super().__init__(c, channel_attention, window)
        self.sca = nn.Conv2d(2 * c, 2 * c, 1); self.window = window
    def forward(self, x):
        y = F.relu(self.b(F.relu(self.a(x))))
        y = y * self.sca(unet_arch.local_mean(y, self.window))
        return x + self.c(y)
unet_arch.NAFBlock = DWSCA
m = build_network({'type': 'promotion-c', 'num_feat': 32, 'prior_stride': 2}).eval()
export_onnx(m, '/tmp/blk-dwsca32.onnx', contract=4)
