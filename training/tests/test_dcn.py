import unittest

import torch

from promotion.archs import modulated_deform_conv2d

try:
    from torchvision.ops import deform_conv2d
except ImportError as error:  # a failure, not a skip: the equivalence is part of the contract
    raise ImportError('torchvision is needed for the deformable-conv test: apt-get install -y python3-torchvision') \
        from error


class DeformConvTest(unittest.TestCase):
    def test_matches_torchvision_forward_and_gradients_float64(self):
        torch.manual_seed(0)
        b, c, h, w, o, groups = 2, 8, 7, 9, 6, 4
        x = torch.randn(b, c, h, w, dtype=torch.float64, requires_grad=True)
        # Offsets up to ~3 px, so samples fall between pixels and outside the image.
        offset = (torch.randn(b, 2 * groups * 9, h, w, dtype=torch.float64) * 1.5).requires_grad_()
        mask = torch.rand(b, groups * 9, h, w, dtype=torch.float64, requires_grad=True)
        weight = torch.randn(o, c, 3, 3, dtype=torch.float64, requires_grad=True)
        bias = torch.randn(o, dtype=torch.float64, requires_grad=True)
        ours = modulated_deform_conv2d(x, offset, mask, weight, bias, padding=1)
        ref = deform_conv2d(x, offset, weight, bias, padding=(1, 1), mask=mask)
        self.assertLess((ours - ref).abs().max().item(), 1e-10)
        g = torch.randn_like(ref)
        grads_ours = torch.autograd.grad((ours * g).sum(), (x, offset, mask, weight, bias))
        grads_ref = torch.autograd.grad((ref * g).sum(), (x, offset, mask, weight, bias))
        for name, a, r in zip(('x', 'offset', 'mask', 'weight', 'bias'), grads_ours, grads_ref):
            with self.subTest(grad=name):
                self.assertLess((a - r).abs().max().item(), 1e-9)

    def test_zero_offsets_and_unit_mask_is_a_plain_conv(self):
        torch.manual_seed(1)
        x = torch.randn(1, 8, 6, 5, dtype=torch.float64)
        weight = torch.randn(4, 8, 3, 3, dtype=torch.float64)
        out = modulated_deform_conv2d(x, torch.zeros(1, 2 * 8 * 9, 6, 5, dtype=torch.float64),
                                      torch.ones(1, 8 * 9, 6, 5, dtype=torch.float64), weight, None)
        ref = torch.nn.functional.conv2d(x, weight, None, padding=1)
        self.assertLess((out - ref).abs().max().item(), 1e-12)


if __name__ == '__main__':
    unittest.main()
