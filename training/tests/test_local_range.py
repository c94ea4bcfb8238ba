import unittest

import torch

from promotion.local_range import (check_clamp_motion, check_deadband, clamp_output, clamp_to_local_range,
                                   clamp_to_motion_range, check_deadband_flat, local_range, motion_radii,
                                   shrink_residual)


def brute_force(centre, radius):
    """The definition of src/deblur/local-range.ts: per channel, min and max over the window cut off at the edges."""
    b, c, h, w = centre.shape
    low, high = torch.empty_like(centre), torch.empty_like(centre)
    for y in range(h):
        for x in range(w):
            win = centre[:, :, max(0, y - radius):y + radius + 1, max(0, x - radius):x + radius + 1]
            low[:, :, y, x] = win.amin(dim=(2, 3))
            high[:, :, y, x] = win.amax(dim=(2, 3))
    return low, high


class LocalRangeTest(unittest.TestCase):
    def test_matches_the_definition_at_edges_and_inside(self):
        torch.manual_seed(0)
        centre = torch.rand(2, 3, 9, 13)
        for radius in (1, 3):
            low, high = local_range(centre, radius)
            want_low, want_high = brute_force(centre, radius)
            self.assertTrue(torch.equal(low, want_low))
            self.assertTrue(torch.equal(high, want_high))

    def test_clamps_only_outside_the_range_and_passes_gradients_inside(self):
        torch.manual_seed(1)
        centre = torch.rand(1, 3, 8, 8)
        out = (centre + torch.randn(1, 3, 8, 8) * 0.5).requires_grad_(True)
        got = clamp_to_local_range(out, centre, 2)
        low, high = brute_force(centre, 2)
        inside = (out >= low) & (out <= high)
        self.assertTrue(torch.equal(got, torch.maximum(torch.minimum(out, high), low)))
        self.assertTrue(bool(inside.any()) and bool((~inside).any()))
        got.sum().backward()
        self.assertTrue(torch.equal(out.grad, inside.float()))

    def test_radius_zero_is_off_and_bad_radii_are_refused(self):
        x = torch.rand(1, 3, 4, 4)
        self.assertIs(clamp_to_local_range(x, x * 0, 0), x)
        for bad in (-1, 1.5, True):
            with self.assertRaisesRegex(ValueError, 'clamp radius'):
                clamp_to_local_range(x, x, bad)
        with self.assertRaisesRegex(ValueError, 'differ'):
            clamp_to_local_range(x, torch.rand(1, 3, 4, 5), 1)



def flow_of(px):
    """A flow input [1, 4, H, W] whose motion (the mean of the two flows' magnitudes) is `px` [H, W]: F(t->t+1)
    along x, F(t->t-1) along y, both of length px (so the two magnitudes are px each)."""
    px = torch.as_tensor(px, dtype=torch.float32)
    zero = torch.zeros_like(px)
    return torch.stack([px, zero, zero, -px])[None]


class MotionClampTest(unittest.TestCase):
    def test_radii_follow_the_motion_between_the_bounds_on_the_allowed_steps(self):
        # scale 0.25: floor(px / 4 + 1/2); from radius 2 up to 8, raised to the next of 1, 2, 3, 4, 6, 8, 12, 16.
        px = torch.tensor([[0.0, 9.9, 10.0, 13.9, 14.0, 18.0, 19.0, 26.0, 30.0, 100.0]])
        got = motion_radii(flow_of(px), 2, 0.25, 8)[0, 0, 0].tolist()
        self.assertEqual(got, [2, 2, 3, 3, 4, 6, 6, 8, 8, 8])
        # A maximum off the steps is reached, and a scale of 0 keeps the fixed radius everywhere.
        self.assertEqual(motion_radii(flow_of(px), 2, 0.25, 5)[0, 0, 0].tolist()[-3:], [5, 5, 5])
        self.assertEqual(set(motion_radii(flow_of(px), 3, 0.0, 8).flatten().tolist()), {3})
        with self.assertRaisesRegex(ValueError, 'max_radius'):
            motion_radii(flow_of(px), 4, 0.25, 2)

    def test_each_pixel_is_clamped_at_its_own_radius(self):
        torch.manual_seed(2)
        centre = torch.rand(1, 3, 12, 14)
        out = (centre + torch.randn(1, 3, 12, 14) * 0.5).requires_grad_(True)
        radii = torch.randint(0, 3, (1, 1, 12, 14)) * 2 + 1  # 1, 3 or 5 per pixel
        got = clamp_to_motion_range(out, centre, radii)
        want = torch.empty_like(centre)
        ranges = {r: brute_force(centre, r) for r in (1, 3, 5)}
        for y in range(12):
            for x in range(14):
                low, high = ranges[int(radii[0, 0, y, x])]
                want[..., y, x] = torch.maximum(torch.minimum(out[..., y, x], high[..., y, x]), low[..., y, x])
        self.assertTrue(torch.equal(got, want))
        got.sum().backward()  # the gradient passes where the clamp does not bind, as the fixed clamp's
        self.assertTrue(torch.equal(out.grad, (got == out).float()))
        # One radius everywhere is the fixed clamp.
        self.assertTrue(torch.equal(clamp_to_motion_range(out, centre, torch.full_like(radii, 3)),
                                    clamp_to_local_range(out, centre, 3)))
        with self.assertRaisesRegex(ValueError, 'do not match'):
            clamp_to_motion_range(out, centre, radii[..., :5])

    def test_the_configured_clamp_and_its_checks(self):
        torch.manual_seed(3)
        centre = torch.rand(1, 3, 10, 10)
        out = centre + torch.randn(1, 3, 10, 10)
        still = flow_of(torch.zeros(10, 10))
        self.assertTrue(torch.equal(clamp_output(out, centre, 2), clamp_to_local_range(out, centre, 2)))
        # Without motion the radius stays at the clamp's: the same output as the fixed clamp.
        self.assertTrue(torch.equal(clamp_output(out, centre, 2, (0.25, 8), still), clamp_to_local_range(out, centre, 2)))
        fast = flow_of(torch.full((10, 10), 40.0))
        self.assertTrue(torch.equal(clamp_output(out, centre, 2, (0.25, 8), fast), clamp_to_local_range(out, centre, 8)))
        with self.assertRaisesRegex(ValueError, 'flow vectors'):
            clamp_output(out, centre, 2, (0.25, 8))
        self.assertIsNone(check_clamp_motion(None, 0, 'x'))
        self.assertEqual(check_clamp_motion([0.25, 8], 2, 'x'), (0.25, 8))
        for bad, radius in (([0.25, 8], 0), ([0.25, 1], 2), ([-1, 8], 2), ([0.25, 8.5], 2), ('0.25,8', 2),
                            ([0.25, 65], 2), ([True, 8], 2)):
            with self.assertRaisesRegex(ValueError, 'train.clamp_motion'):
                check_clamp_motion(bad, radius, 'train.clamp_motion')


class ExportClampMotionTest(unittest.TestCase):
    def test_the_export_writes_it_kept_by_a_reexport_and_refuses_it_before_writing(self):
        import json
        import os
        import tempfile
        from promotion.export import main as export_main
        base = ['--random-init', '--preset', 'promotion-c', '--set', 'num_feat=8', '--set', 'middle_blocks=1']
        with tempfile.TemporaryDirectory() as d:
            self.assertEqual(export_main(base + ['--clamp-radius', '2', '--clamp-motion', '0.25,8', '--name', 'm',
                                                 '--out-dir', d]), 0)
            with open(os.path.join(d, 'm.json')) as f:
                card = json.load(f)
            self.assertEqual((card['clampRadius'], card['clampMotion']), (2, {'scale': 0.25, 'maxRadius': 8}))
            self.assertEqual(export_main(['--from-card', os.path.join(d, 'm.json'), '--name', 'again',
                                          '--out-dir', d]), 0)
            with open(os.path.join(d, 'again.json')) as f:
                self.assertEqual(json.load(f)['clampMotion'], {'scale': 0.25, 'maxRadius': 8})
            # Refused before anything is written: no radius to start from, one above the maximum, a malformed value.
            for args in (['--clamp-motion', '0.25,8'], ['--clamp-radius', '2', '--clamp-motion', '0.25'],
                         ['--clamp-radius', '2', '--clamp-motion', 'a,b']):
                out = os.path.join(d, 'refused')
                self.assertEqual(export_main(base + args + ['--name', 'r', '--out-dir', out]), 2)
                self.assertFalse(os.path.exists(out))
            self.assertEqual(export_main(['--from-card', os.path.join(d, 'm.json'), '--clamp-radius', '12',
                                          '--name', 'r', '--out-dir', os.path.join(d, 'refused')]), 2)
            self.assertFalse(os.path.exists(os.path.join(d, 'refused')))
            # The deadband: written, kept by a re-export, dropped by --deadband 0, refused outside 0-16 before writing.
            self.assertEqual(export_main(base + ['--deadband', '1', '--name', 'db', '--out-dir', d]), 0)
            self.assertEqual(export_main(['--from-card', os.path.join(d, 'db.json'), '--name', 'db2', '--out-dir', d]), 0)
            self.assertEqual(export_main(['--from-card', os.path.join(d, 'db.json'), '--deadband', '0', '--name', 'db3',
                                          '--out-dir', d]), 0)
            cards = {}
            for name in ('db', 'db2', 'db3'):
                with open(os.path.join(d, f'{name}.json')) as f:
                    cards[name] = json.load(f).get('deadband')
            self.assertEqual(cards, {'db': 1.0, 'db2': 1.0, 'db3': None})
            self.assertEqual(export_main(base + ['--deadband', '1', '--deadband-flat', '12', '--name', 'dbf',
                                                 '--out-dir', d]), 0)
            with open(os.path.join(d, 'dbf.json')) as f:
                self.assertEqual(json.load(f)['deadbandFlat'], 12.0)
            self.assertEqual(export_main(base + ['--deadband-flat', '12', '--name', 'r', '--out-dir',
                                                 os.path.join(d, 'refused')]), 2)
            self.assertFalse(os.path.exists(os.path.join(d, 'refused')))
            self.assertEqual(export_main(base + ['--deadband', '20', '--name', 'r', '--out-dir', os.path.join(d, 'refused')]), 2)
            self.assertFalse(os.path.exists(os.path.join(d, 'refused')))


class DeadbandTest(unittest.TestCase):
    def test_shrink_residual_matches_its_definition_and_the_runtime_on_8_bit_samples(self):
        g = torch.Generator().manual_seed(3)
        centre = torch.randint(0, 256, (1, 3, 9, 11), generator=g).float() / 255
        out = (centre + (torch.rand(centre.shape, generator=g) - 0.5) * 8 / 255).clamp(0, 1)
        for levels in (0.0, 0.5, 1.0, 2.0):
            got = shrink_residual(out, centre, levels)
            # The definition: centre + sign(r) max(|r| - levels / 255, 0).
            r = (out - centre).tolist()
            want = centre + torch.tensor(r).sign() * ((torch.tensor(r).abs() - levels / 255).clamp(min=0))
            self.assertTrue(torch.allclose(got, want, atol=1e-7))
            self.assertTrue(bool(((got - centre).abs() <= (out - centre).abs() + 1e-7).all()))
        # The runtime (applyDeadband) shrinks the 8-bit change after rounding; for whole levels that equals rounding
        # the shrunk value, as frame validation does.
        rounded = torch.round(out * 255)
        runtime = torch.round(centre * 255) + torch.sign(rounded - centre * 255) * ((rounded - centre * 255).abs() - 1).clamp(min=0)
        self.assertTrue(torch.equal(torch.round(shrink_residual(out, centre, 1.0) * 255), runtime))
        self.assertIs(shrink_residual(out, centre, 0), out)

    def test_shrink_residual_only_where_flat(self):
        g = torch.Generator().manual_seed(5)
        # Left half flat (one grey value), right half textured.
        centre = torch.full((1, 3, 8, 16), 100 / 255)
        centre[..., 8:] = torch.randint(0, 256, (1, 3, 8, 8), generator=g).float() / 255
        out = (centre + 1 / 255).clamp(0, 1)
        got = shrink_residual(out, centre, 1.0, flat_levels=12, radius=2)
        low, high = brute_force(centre, 2)
        flat = (high - low) <= 12 / 255 + 1e-6
        self.assertTrue(torch.equal(got, torch.where(flat, centre, out)))
        self.assertTrue(bool(flat[..., :5].all()) and not bool(flat[..., 11:].any()))
        # Radius 0 or no bound: everywhere.
        everywhere = shrink_residual(out, centre, 1.0)
        self.assertTrue(torch.equal(shrink_residual(out, centre, 1.0, flat_levels=12, radius=0), everywhere))

    def test_check_deadband_refuses_what_the_runtime_refuses(self):
        self.assertEqual(check_deadband(1, 'x'), 1.0)
        for bad in (-1, 17, 'a', None, True):
            with self.assertRaises(ValueError):
                check_deadband(bad, 'x')
        self.assertEqual(check_deadband_flat(12, 'x'), 12.0)
        for bad in (-1, 256, 'a', None, True):
            with self.assertRaises(ValueError):
                check_deadband_flat(bad, 'x')


if __name__ == '__main__':
    unittest.main()
