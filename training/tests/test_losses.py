import math
import os
import tempfile
import unittest

import torch

from promotion.losses import LpipsLoss, PromotionLoss, build_loss, charbonnier, frequency_l1, ms_ssim

from .helpers import inputs  # noqa: F401  (sets torch threads)


class CharbonnierTest(unittest.TestCase):
    def test_known_values(self):
        pred = torch.full((1, 3, 4, 4), 0.5)
        gt = torch.full((1, 3, 4, 4), 0.2)
        # No flow weight: sqrt(0.3^2 + 1e-6).
        self.assertAlmostEqual(charbonnier(pred, gt).item(), math.sqrt(0.09 + 1e-6), places=6)
        # w_att = 1 on the left half, 0 on the right: (sqrt(0.6^2 + eps) + sqrt(0.3^2 + eps)) / 2.
        w = torch.zeros(1, 1, 4, 4)
        w[..., :2] = 1
        expected = (math.sqrt(0.36 + 1e-6) + math.sqrt(0.09 + 1e-6)) / 2
        self.assertAlmostEqual(charbonnier(pred, gt, w).item(), expected, places=6)
        # Identical images: sqrt(eps).
        self.assertAlmostEqual(charbonnier(gt, gt, w).item(), 1e-3, places=7)

    def test_total_loss_and_switches(self):
        torch.manual_seed(0)
        gt = torch.rand(2, 3, 64, 64)
        pred = (gt + 0.1 * torch.randn_like(gt)).clamp(0, 1)
        motion = torch.rand(2, 1, 64, 64)
        total, parts = PromotionLoss()(pred, gt, motion)
        self.assertAlmostEqual(total.item(), parts['pixel'] + 0.1 * parts['perceptual'], places=5)
        self.assertGreater(parts['perceptual'], 0)
        no_flow, p2 = build_loss({'flow_weight': False, 'perceptual_weight': 0})(pred, gt, motion)
        self.assertAlmostEqual(no_flow.item(), charbonnier(pred, gt).item(), places=6)
        self.assertLess(no_flow.item(), parts['pixel'])
        with self.assertRaisesRegex(ValueError, 'Unknown loss option'):
            build_loss({'lambda': 0.1})
        with self.assertRaisesRegex(ValueError, 'lpips_weights'):
            build_loss({'perceptual': 'lpips'})


class FrequencyTest(unittest.TestCase):
    def test_closed_form_and_weighting(self):
        # A constant offset d over an HxW image: the orthonormal FFT puts d*sqrt(HW) in the DC bin and zeros elsewhere.
        gt = torch.zeros(1, 1, 8, 8)
        pred = gt + 0.25
        bins = 8 * (8 // 2 + 1)
        self.assertAlmostEqual(frequency_l1(pred, gt).item(), 0.25 * 8 / bins, places=6)
        self.assertEqual(frequency_l1(gt, gt).item(), 0.0)
        # The same pixel error as fine detail (a checkerboard) or as a smooth offset: the FFT term tells them apart
        # where the pixel term cannot.
        board = (torch.arange(8)[:, None] + torch.arange(8)[None, :]) % 2 * 0.5 - 0.25
        self.assertAlmostEqual(charbonnier(gt + board.view(1, 1, 8, 8), gt).item(), charbonnier(pred, gt).item(), places=6)
        torch.manual_seed(0)
        gt = torch.rand(2, 3, 32, 32)
        pred = (gt + 0.1 * torch.randn_like(gt)).clamp(0, 1)
        motion = torch.rand(2, 1, 32, 32)
        total, parts = build_loss({'frequency_weight': 0.5})(pred, gt, motion)
        self.assertAlmostEqual(total.item(), parts['pixel'] + 0.1 * parts['perceptual'] + 0.5 * parts['frequency'], places=5)
        self.assertNotIn('frequency', PromotionLoss()(pred, gt, motion)[1])
        for bad in (-1, float('nan'), 'x', True):
            with self.assertRaisesRegex(ValueError, 'frequency_weight'):
                build_loss({'frequency_weight': bad})
        # It trains: its gradient moves a prediction towards the target.
        x = torch.zeros(1, 1, 16, 16, requires_grad=True)
        target = torch.rand(1, 1, 16, 16)
        frequency_l1(x, target).backward()
        self.assertLess(float((x.grad * (target - x.detach())).sum()), 0)


class MsSsimTest(unittest.TestCase):
    def test_identical_is_one_and_noise_lowers_it(self):
        torch.manual_seed(0)
        x = torch.rand(1, 3, 64, 64)
        self.assertAlmostEqual(ms_ssim(x, x).item(), 1.0, places=5)
        small = ms_ssim((x + 0.02 * torch.randn_like(x)).clamp(0, 1), x).item()
        large = ms_ssim((x + 0.2 * torch.randn_like(x)).clamp(0, 1), x).item()
        self.assertLess(large, small)
        self.assertLess(small, 1.0)

    def test_constant_offset_closed_form_single_scale(self):
        # Constant images a and b, 11x11 (one scale, only the luminance term remains):
        # (2ab + C1) / (a^2 + b^2 + C1).
        a, b, c1 = 0.6, 0.4, 0.01 ** 2
        x, y = torch.full((1, 1, 11, 11), a, dtype=torch.float64), torch.full((1, 1, 11, 11), b, dtype=torch.float64)
        self.assertAlmostEqual(ms_ssim(x, y).item(), (2 * a * b + c1) / (a * a + b * b + c1), places=9)


class LpipsPathTest(unittest.TestCase):
    def test_user_weights_file_path_with_random_weights(self):
        torch.manual_seed(0)
        with tempfile.TemporaryDirectory() as d:
            alex = {}
            for i, (cin, cout, k) in zip((0, 3, 6, 8, 10), ((3, 64, 11), (64, 192, 5), (192, 384, 3),
                                                           (384, 256, 3), (256, 256, 3))):
                alex[f'features.{i}.weight'] = torch.randn(cout, cin, k, k) * 0.05
                alex[f'features.{i}.bias'] = torch.zeros(cout)
            lin = {f'lin{i}.model.1.weight': torch.rand(1, c, 1, 1) for i, c in enumerate(LpipsLoss.CHANNELS)}
            torch.save(alex, os.path.join(d, 'alexnet.pth'))
            torch.save(lin, os.path.join(d, 'alex.pth'))
            loss = build_loss({'perceptual': 'lpips', 'lpips_weights': os.path.join(d, 'alex.pth'),
                               'alexnet_weights': os.path.join(d, 'alexnet.pth')})
            x = torch.rand(1, 3, 64, 64)
            y = torch.rand(1, 3, 64, 64, requires_grad=True)
            self.assertAlmostEqual(loss.perceptual(x, x).item(), 0.0, places=9)
            d_xy = loss.perceptual(y, x)
            self.assertGreater(d_xy.item(), 0)
            total, _ = loss(y, x, torch.zeros(1, 1, 64, 64))
            total.backward()
            self.assertGreater(y.grad.abs().sum().item(), 0)
            torch.save({'lin0.model.1.weight': torch.rand(1, 64, 1, 1)}, os.path.join(d, 'bad.pth'))
            with self.assertRaisesRegex(ValueError, 'lin1.model.1.weight'):
                LpipsLoss(os.path.join(d, 'bad.pth'), os.path.join(d, 'alexnet.pth'))


if __name__ == '__main__':
    unittest.main()
