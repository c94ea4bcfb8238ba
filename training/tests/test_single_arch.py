"""The single-image network (archs/single_arch.py) and its plain ONNX export (promotion.export_plain)."""
import os
import tempfile
import unittest

import onnx
import torch

from promotion.archs import build_network, count_parameters
from promotion.archs.single_arch import SingleImageUNet
from promotion.export_plain import main as export_plain


class SingleImageTest(unittest.TestCase):
    def test_untrained_network_returns_the_centre_frame(self):
        torch.manual_seed(0)
        net = build_network({'type': 'single-s'})
        self.assertIsInstance(net, SingleImageUNet)
        self.assertEqual(count_parameters(net), 66707)
        frames = torch.rand(2, 5, 3, 32, 48)
        out = net(frames, torch.zeros(2, 1, 32, 48), torch.ones(2, 5), torch.ones(2, 5))
        self.assertTrue(torch.equal(out, frames[:, 2]))

    def test_rejects_bad_sizes(self):
        with self.assertRaises(ValueError):
            SingleImageUNet(num_feat=0)

    def test_plain_export_has_one_dynamic_image_input(self):
        torch.manual_seed(1)
        net = build_network({'type': 'single-s'})
        for p in net.exit.parameters():
            torch.nn.init.normal_(p, std=0.01)
        with tempfile.TemporaryDirectory() as d:
            ckpt = os.path.join(d, 'c.pt')
            torch.save({'model': net.state_dict(), 'config': {'network': {'type': 'single-s'}}}, ckpt)
            out = os.path.join(d, 'plain.onnx')
            self.assertEqual(export_plain(['--checkpoint', ckpt, '--out', out]), 0)
            model = onnx.load(out)
            self.assertEqual([i.name for i in model.graph.input], ['image'])
            self.assertEqual([o.name for o in model.graph.output], ['restored'])
            dims = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
            self.assertEqual(dims, ['B', 3, 'H', 'W'])


if __name__ == '__main__':
    unittest.main()
