import unittest

import numpy as np

from promotion.data.line_photos import render


class LinePhotosTest(unittest.TestCase):
    def test_deterministic_per_seed_and_index(self):
        a = np.asarray(render(5, 0, (160, 120)))
        self.assertEqual(a.shape, (120, 160, 3))
        self.assertTrue(np.array_equal(a, np.asarray(render(5, 0, (160, 120)))))
        self.assertFalse(np.array_equal(a, np.asarray(render(5, 1, (160, 120)))))
        self.assertFalse(np.array_equal(a, np.asarray(render(6, 0, (160, 120)))))

    def test_thin_lines_over_flat_ground(self):
        # Most of the image is smooth ground (small steps between neighbours) with a minority of strong line edges.
        grey = np.asarray(render(5, 2, (480, 360)).convert('L'), dtype=np.float32)
        step = np.abs(np.diff(grey, axis=1))
        self.assertLess(float(np.median(step)), 3.0)
        self.assertGreater(float(np.mean(step > 20)), 0.002)
        self.assertLess(float(np.mean(step > 20)), 0.2)


if __name__ == '__main__':
    unittest.main()
