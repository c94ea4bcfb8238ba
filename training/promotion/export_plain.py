"""Exports a single-image network (archs/single_arch.py) as a plain ONNX graph, the way a user's own model comes:
one input `image` float32 [B, 3, H, W] (RGB, [0, 1], H and W dynamic, multiples of 2^levels) and one output
`restored` of the same shape, and no model card: the runtime reads its layout from the graph and takes the plain
model defaults ([0, 1], RGB, padding multiple 16; models/README.md, "Bring your own model").

    /usr/bin/python3 -m promotion.export_plain --checkpoint <run>/checkpoints/iter_N.pt --out <file>.onnx
"""
import argparse
import sys

import torch

from .archs import build_network
from .archs.single_arch import SingleImageUNet


class _Plain(torch.nn.Module):
    def __init__(self, net: SingleImageUNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.net.restore(image)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--checkpoint', required=True, help='a training checkpoint of a single-image network')
    parser.add_argument('--out', required=True, help='the .onnx file to write')
    parser.add_argument('--opset', type=int, default=16)
    args = parser.parse_args(argv)
    state = torch.load(args.checkpoint, map_location='cpu')
    net = build_network(state['config']['network'])
    if not isinstance(net, SingleImageUNet):
        print(f'export_plain: {args.checkpoint} holds a {type(net).__name__}, not a single-image network (network type single-s)', file=sys.stderr)
        return 2
    from .train import checkpoint_weights
    net.load_state_dict(checkpoint_weights(state))
    net.eval()
    example = torch.rand(1, 3, 64, 64)
    axes = {0: 'B', 2: 'H', 3: 'W'}
    torch.onnx.export(_Plain(net), example, args.out, input_names=['image'], output_names=['restored'], dynamic_axes={'image': axes, 'restored': axes}, opset_version=args.opset)
    with torch.no_grad():
        probe = torch.rand(1, 3, 48, 80)
        reference = net.restore(probe)
    print(f'export_plain: wrote {args.out} ({sum(p.numel() for p in net.parameters())} parameters; output at 48x80 {tuple(reference.shape)})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
