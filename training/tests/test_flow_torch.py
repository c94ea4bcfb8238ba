"""The PyTorch port of DIS flow and the motion map (promotion/flow_torch.py). Parity with the TypeScript runtime is
test/training/flow-torch-parity.test.ts; these check its own properties, on the CPU."""
import unittest

import torch
import torch.nn.functional as F

from promotion.flow_torch import dis_flow, downsample, grey_255, motion_map, upsample_flow


def texture(b=1, size=96, seed=0, dtype=torch.float32):
    """Smooth noise, grey 0..255: [b, size, size]."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(b, 1, size // 6, size // 6, generator=g, dtype=torch.float64)
    fine = torch.rand(b, 1, size // 2, size // 2, generator=g, dtype=torch.float64)
    img = 170 * F.interpolate(coarse, size=(size, size), mode='bilinear', align_corners=False)
    img = img + 85 * F.interpolate(fine, size=(size, size), mode='bilinear', align_corners=False)
    return img[:, 0].to(dtype)


class DisFlowTest(unittest.TestCase):
    def test_recovers_an_integer_shift(self):
        img = texture(2, 96, seed=1)
        i0 = img[:, 10:74, 12:76]
        i1 = img[:, 7:71, 16:80]  # i1(x) = img(x + (16, 7)) and i0(x) = img(x + (12, 10)): i0(x) = i1(x + (-4, 3))
        for finest in (0, 1):
            flow = dis_flow(i0, i1, finest_level=finest)
            self.assertEqual(flow.shape, (2, 2, 64, 64))
            self.assertEqual(flow.dtype, torch.float32)
            inner = flow[:, :, 12:52, 12:52]
            self.assertLess((inner[:, 0] + 4).abs().mean().item(), 0.05)
            self.assertLess((inner[:, 1] - 3).abs().mean().item(), 0.05)

    def test_no_motion_between_identical_frames_and_none_in_a_flat_image(self):
        img = texture(1, 64, seed=2)
        self.assertLess(dis_flow(img, img).abs().max().item(), 1e-3)
        flat = torch.full((1, 40, 56), 128.0)
        self.assertTrue(torch.equal(dis_flow(flat, flat + 10), torch.zeros(1, 2, 40, 56)))

    def test_batch_items_are_independent(self):
        img = texture(2, 80, seed=3)
        i0 = img[:, 4:68, 2:58]
        i1 = img[:, 6:70, 1:57]
        for exact in (True, False):
            both = dis_flow(i0, i1, finest_level=1, exact=exact)
            for k in range(2):
                alone = dis_flow(i0[k:k + 1], i1[k:k + 1], finest_level=1, exact=exact)
                self.assertTrue(torch.equal(both[k:k + 1], alone), f'item {k}, exact {exact}')

    def test_running_every_iteration_changes_nothing(self):
        img = texture(2, 72, seed=8)
        i0, i1 = img[:, 2:66, 4:68], img[:, 5:69, 3:67]
        for exact in (True, False):
            every = dis_flow(i0, i1, exact=exact, sync_free=True)
            self.assertTrue(torch.equal(every, dis_flow(i0, i1, exact=exact, sync_free=False)))

    def test_float32_and_float64_agree(self):
        img = texture(2, 80, seed=4, dtype=torch.float64)
        i0 = img[:, 5:69, 5:69]
        i1 = img[:, 3:67, 7:71]
        exact = dis_flow(i0.float(), i1.float(), exact=True)
        f32 = dis_flow(i0.float(), i1.float(), exact=False)
        f64 = dis_flow(i0, i1, exact=False)
        self.assertEqual(f64.dtype, torch.float64)
        for other in (f32, f64.float()):
            d = (other - exact).abs()
            self.assertLess(d.mean().item(), 1e-3)
            self.assertLess(torch.quantile(d.flatten(), 0.99).item(), 1e-2)

    def test_pyramid_and_upsampling(self):
        img = texture(1, 9, seed=5, dtype=torch.float64)[:, :, :7]
        half = downsample(img)
        self.assertEqual(half.shape, (1, 5, 4))
        # The 5-tap binomial of a constant is the constant; of a ramp in x, the ramp at the even pixels (inside).
        self.assertTrue(torch.allclose(downsample(torch.full((1, 6, 6), 7.0)), torch.full((1, 3, 3), 7.0)))
        ramp = torch.arange(12, dtype=torch.float64).repeat(1, 5, 1)
        self.assertTrue(torch.equal(downsample(ramp)[0, :, 1:5], torch.tensor([2.0, 4, 6, 8]).repeat(3, 1)))
        flow = torch.tensor([[[[1.0, 3.0]], [[-2.0, -2.0]]]])  # [1, 2, 1, 2]
        up = upsample_flow(flow, 4, 2, 2)
        self.assertTrue(torch.equal(up[0, 0, 0], torch.tensor([2.0, 4.0, 6.0, 6.0])))
        self.assertTrue(torch.equal(up[0, 1], torch.full((2, 4), -4.0)))


class MotionMapTest(unittest.TestCase):
    def test_magnitude_map_of_a_shifting_sequence(self):
        img = texture(2, 100, seed=6)
        prev, centre, nxt = img[:, 10:74, 13:77], img[:, 10:74, 10:74], img[:, 12:76, 10:74]
        m, peak = motion_map(prev, centre, nxt, finest_level=1)
        self.assertEqual(m.shape, (2, 1, 64, 64))
        self.assertEqual(peak.shape, (2,))
        self.assertTrue(bool((m >= 0).all()) and bool((m <= 1).all()))
        self.assertAlmostEqual(m.amax().item(), 1.0, places=5)
        # |F| is 3 px to prev and 2 px to next: the mean, 2.5 px, over the peak.
        inner = m[:, 0, 16:48, 16:48] * peak.view(-1, 1, 1)
        self.assertLess((inner - 2.5).abs().mean().item(), 0.1)
        # At the end of a sequence only one flow exists.
        last, last_peak = motion_map(prev, centre, None, finest_level=1)
        self.assertLess(((last[:, 0, 16:48, 16:48] * last_peak.view(-1, 1, 1)) - 3).abs().mean().item(), 0.1)

    def test_still_frames_stay_near_zero(self):
        img = texture(1, 64, seed=7)
        m, peak = motion_map(img, img, img)
        self.assertLess(peak.item(), 1.0)
        self.assertLess(m.max().item(), 1e-3)
        with self.assertRaises(ValueError):
            motion_map(None, img, None)


class GreyTest(unittest.TestCase):
    def test_bt601_of_8bit_samples(self):
        k = torch.tensor([[0, 255, 10], [128, 64, 200]], dtype=torch.float64)  # two pixels' (R, G, B)
        rgb = (k.t().reshape(1, 3, 1, 2) / 255).float()
        grey = grey_255(rgb)
        want = [0.299 * 0 + 0.587 * 255 + 0.114 * 10, 0.299 * 128 + 0.587 * 64 + 0.114 * 200]
        self.assertEqual(grey.shape, (1, 1, 2))
        self.assertEqual(grey.dtype, torch.float32)
        self.assertEqual(grey.flatten().tolist(), torch.tensor(want, dtype=torch.float32).tolist())
        # Off-grid values are rounded to 8 bits first; quantize=False takes them as they are.
        self.assertTrue(torch.equal(grey_255(rgb + 0.4 / 255), grey))
        self.assertFalse(torch.equal(grey_255(rgb + 0.4 / 255, quantize=False), grey))


if __name__ == '__main__':
    unittest.main()
