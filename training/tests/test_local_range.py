import unittest

import torch

from promotion.local_range import clamp_to_local_range, local_range


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


if __name__ == '__main__':
    unittest.main()
